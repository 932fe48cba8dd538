"""Counts in words, for the sentences the user reads ("1 hold", "3 samples were")."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` with the singular ``one`` or the plural ``many`` (default: ``one`` + "s")."""
    return f"{n} {one if n == 1 else (many if many is not None else one + 's')}"

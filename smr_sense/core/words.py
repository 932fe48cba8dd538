"""Counts and durations in words, for the sentences the user reads ("1 hold", "3 samples were", "0:06")."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` with the singular ``one`` or the plural ``many`` (default: ``one`` + "s")."""
    return f"{n} {one if n == 1 else (many if many is not None else one + 's')}"


def mmss(seconds: float) -> str:
    """A duration as minutes:seconds, to the nearest second (5.96 s of rolling is 0:06, as ``analyze``
    rounds it to 6.0 s)."""
    whole = round(max(0.0, seconds))
    return f"{whole // 60}:{whole % 60:02d}"

"""Counts and durations in words, for the sentences the user reads ("1 hold", "3 samples were", "0:06")."""

from __future__ import annotations


def counted(n: int, one: str, many: str | None = None) -> str:
    """``n`` with the singular ``one`` or the plural ``many`` (default: ``one`` + "s")."""
    return f"{n} {one if n == 1 else (many if many is not None else one + 's')}"


def caps_reached(holds: int, capped: int, cap: str = "the cap", over_s: float | None = None) -> str:
    """' (1 reached the cap, 9.4 s over)' after a count of holds; '' when there are none ("0 holds",
    not "0 holds (0 reached the cap, 0.0 s over)")."""
    if holds == 0:
        return ""
    over = f", {over_s:.1f} s over" if over_s is not None else ""
    return f" ({capped} reached {cap}{over})"


def without_samples(lost_s: float, also: str = "") -> str:
    """' (7.5 s without samples)' after a count of signal losses, ``also`` inside the brackets; ''
    when the link never came back (nothing says for how long)."""
    return f" ({lost_s:.1f} s without samples{also})" if lost_s > 0 else ""


def rounded(value: float, ndigits: int) -> float:
    """``value`` rounded as a format with ``ndigits`` decimals prints it, but never -0.0: a residual
    or a drift a hair below zero reads as the 0.0 it is ("+0.00 N"), not "-0.00 N"."""
    return round(value, ndigits) + 0.0  # -0.0 + 0.0 is +0.0; every other value is unchanged


def clock(whole_s: int) -> str:
    """Whole seconds as minutes:seconds, or hours:minutes:seconds from an hour on (2:38:41, never
    158:41)."""
    hours, rest = divmod(max(0, whole_s), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def mmss(seconds: float) -> str:
    """A duration as :func:`clock` shows it, to the nearest second (5.96 s of rolling is 0:06, as
    ``analyze`` rounds it to 6.0 s); from an hour on, h:mm:ss."""
    return clock(round(max(0.0, seconds)))


def duration(seconds: float) -> str:
    """A duration in a sentence: "40 s" under a minute ("0:40 min" reads as a typo), "12:05 min"
    under an hour, then "2:38:41" (h:mm:ss says what it is)."""
    whole_s = round(max(0.0, seconds))
    if whole_s < 60:
        return f"{whole_s} s"
    text = clock(whole_s)
    return text if text.count(":") == 2 else f"{text} min"


def as_sentence(text: str) -> str:
    """``text`` with a capital first letter, as a line of its own; unless it starts with a name
    ("trunc300k.smr ends part-way ...", "/tmp/x.csv ..."), which keeps its own spelling."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.isalpha() and first.islower() else text

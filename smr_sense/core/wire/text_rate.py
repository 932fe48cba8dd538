"""The nominal rate of a text sketch's stream: given by the source, read from a time column's first
stamps, or assumed, and what to tell the user when it is assumed. Used by ``text.TextLineDecoder``.

The nominal rate sizes the hold detector's windows from the start; without a time column it also
times the samples, which are counted at it. How it was set is in the stream description's
``extra``: ``rate_from`` is ``given``, ``time stamps`` or ``default`` (``DEFAULT_TEXT_RATE_HZ``),
and ``stamps_hz`` is what a time column's stamps read as when they gave no rate a roller streams at
(None: they never stepped forward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from smr_sense.core.samples import STREAM_RATE_RANGE_HZ, StreamInfo
from smr_sense.core.wire.text_columns import make_layout

DEFAULT_TEXT_RATE_HZ = 50.0
# The nominal rate is read from this many time stamps, or from fewer (at least RATE_MIN_ROWS) once
# they span RATE_SPAN_S: enough steps to see past a sketch's jitter, and a slow stream waits little.
RATE_ROWS = 16
RATE_MIN_ROWS = 5
RATE_SPAN_S = 0.5
_UNITS = {1.0: ("seconds", "t_s"), 1e-3: ("milliseconds", "t_ms"), 1e-6: ("microseconds", "t_us")}


def enough_stamps(n: int, span_s: float) -> bool:
    """``n`` stamps spanning ``span_s`` are enough to read the rate from."""
    return n >= RATE_ROWS or (n >= RATE_MIN_ROWS and span_s >= RATE_SPAN_S)


def stamps_rate_hz(t_s: np.ndarray) -> float | None:
    """The rate first time stamps (s) step at, whatever it is; None if they never step forward.

    Millisecond stamps of a 100 Hz loop come 8, 12, 10, 9 ... ms apart: the first step alone said
    125 Hz. Steps beyond half or twice their median (a pause, a glitched stamp, a restart) are left
    out and the rest averaged, so a period that is no whole number of ms (300 Hz: 3, 3, 4 ms) does
    not read as the median's 333 Hz.
    """
    steps = np.diff(np.asarray(t_s, dtype=np.float64))
    steps = steps[steps >= 0]
    if steps.size == 0:
        return None
    median = float(np.median(steps))
    if median > 0:
        steps = steps[(steps >= median / 2) & (steps <= median * 2)]
    total = float(steps.sum())
    return steps.size / total if total > 0 else None


def rate_from_stamps(t_s: np.ndarray) -> float | None:
    """A stream's nominal rate from its first time stamps (s), or None outside what rollers stream."""
    rate = stamps_rate_hz(t_s)
    # Believed outside this range, a glitched stamp would set every detector window to millions of
    # samples, or to one; no roller streams there.
    return rate if rate is not None and STREAM_RATE_RANGE_HZ[0] <= rate <= STREAM_RATE_RANGE_HZ[1] else None


def nominal_rate(given_hz: float | None, stamps_s: np.ndarray | None) -> tuple[float, dict[str, Any]]:
    """The nominal rate, from the source, the stamps (None: no time column) or the default, and how
    it was set, for the stream description's ``extra``."""
    if given_hz is not None:
        return given_hz, {"rate_from": "given"}
    if stamps_s is None:
        return DEFAULT_TEXT_RATE_HZ, {"rate_from": "default"}
    rate = rate_from_stamps(stamps_s)
    if rate is not None:
        return rate, {"rate_from": "time stamps"}
    return DEFAULT_TEXT_RATE_HZ, {"rate_from": "default", "stamps_hz": stamps_rate_hz(stamps_s)}


def assumed_rate_warning(info: StreamInfo, with_rate: str) -> str | None:
    """One sentence when a text stream's nominal rate is only assumed, saying what to do; None when
    it was given or read. ``with_rate``: the source with the option that gives it (``...?rate=HZ``)."""
    extra = info.extra
    if extra.get("rate_from") != "default":
        return None
    if not extra.get("device_time"):
        return (
            f"{info.source} sends no time column, so its samples are timed as {info.rate_hz:g} per second; "
            f"if the device sends at another rate, give it ({with_rate}), or every hold is timed wrong"
        )
    layout = make_layout(tuple(extra.get("columns", ())), "header")
    if layout is None or layout.time_col is None:
        return None  # not a description this decoder wrote
    sends = f"{info.source} sends a time column {layout.names[layout.time_col]} that"
    assumed = f"so the hold detector assumes {info.rate_hz:g} Hz"
    stamps_hz = extra.get("stamps_hz")
    if stamps_hz is None:
        return (
            f"{sends} never steps forward, {assumed}; have the sketch print its clock there "
            f"(millis() in a t_ms column), or give the rate ({with_rate})"
        )
    lo_hz, hi_hz = STREAM_RATE_RANGE_HZ
    said = (
        f"{sends}, read in {_UNITS[layout.time_scale][0]}, steps at {stamps_hz:.3g} Hz, outside the "
        f"{lo_hz:g}-{hi_hz:g} Hz a roller streams at, {assumed}"
    )
    where = "in the source's columns=" if extra.get("names") == "columns" else "in the sketch"
    for scale, (unit, name) in _UNITS.items():
        # A column in another unit than its name says: its times are wrong too, not only the rate.
        if lo_hz <= stamps_hz * layout.time_scale / scale <= hi_hz:
            return f"{said}; if it counts {unit}, name it {name} {where}, or every hold is timed wrong"
    return f"{said}; if the device sends at another rate, give it ({with_rate})"

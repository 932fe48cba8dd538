"""The nominal rate of a text sketch's stream, read from a time column's first stamps. Used by
``text.TextLineDecoder``: the nominal rate sizes the hold detector's windows from the start, and
without a time column it also times the samples, which are counted at it.
"""

from __future__ import annotations

import numpy as np

from smr_sense.core.samples import STREAM_RATE_RANGE_HZ

DEFAULT_TEXT_RATE_HZ = 50.0
# The nominal rate is read from this many time stamps, or from fewer (at least RATE_MIN_ROWS) once
# they span RATE_SPAN_S: enough steps to see past a sketch's jitter, and a slow stream waits little.
RATE_ROWS = 16
RATE_MIN_ROWS = 5
RATE_SPAN_S = 0.5


def enough_stamps(n: int, span_s: float) -> bool:
    """``n`` stamps spanning ``span_s`` are enough to read the rate from."""
    return n >= RATE_ROWS or (n >= RATE_MIN_ROWS and span_s >= RATE_SPAN_S)


def rate_from_stamps(t_s: np.ndarray) -> float | None:
    """A stream's nominal rate from its first time stamps (s), or None outside what rollers stream.

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
    if total <= 0:
        return None
    rate = steps.size / total
    # Believed outside this range, a glitched stamp would set every detector window to millions of
    # samples, or to one; no roller streams there.
    return rate if STREAM_RATE_RANGE_HZ[0] <= rate <= STREAM_RATE_RANGE_HZ[1] else None

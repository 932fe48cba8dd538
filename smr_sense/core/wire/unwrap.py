"""Unwrapping device counters (timestamps, sequence numbers) into monotonic values, vectorised.

Device clocks are small unsigned counters: micros() in a uint32 wraps every 71.6 minutes. Forward
steps are taken modulo the counter range, so a wrap is invisible downstream. A step backwards by more
than half the range cannot be a wrap: it is a device restart (or reordering); time then continues by
the last good step so that the stream's time stays monotonic, and the event is counted.
State lives in the object and every call continues it, so feeding in pieces equals feeding at once.
"""

from __future__ import annotations

import numpy as np


class CounterUnwrapper:
    """Turns raw ``bits``-wide counter readings into a monotonic int64 tick count.

    The first reading is kept as is (device time since boot); later ones add their forward step.
    """

    def __init__(self, bits: int = 32, default_step: int = 1) -> None:
        self.modulo = 1 << bits
        self.half = 1 << (bits - 1)
        self.last_raw: int | None = None
        self.total = 0
        self.last_step = default_step
        self.resets = 0

    def unwrap(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (ticks int64, backwards bool) for raw readings; ``backwards`` marks restarts."""
        r = np.asarray(raw, dtype=np.int64) % self.modulo
        n = r.shape[0]
        if n == 0:
            return np.empty(0, np.int64), np.zeros(0, bool)
        prev = np.empty(n, np.int64)
        prev[1:] = r[:-1]
        prev[0] = 0 if self.last_raw is None else self.last_raw
        step = (r - prev) % self.modulo
        backwards = step >= self.half
        boot = np.zeros(n, bool)
        if self.last_raw is None:
            step[0] = r[0]  # device time since boot, whatever its size
            backwards[0] = False
            boot[0] = True
        # the boot offset is never a sample period, so it never serves as the fallback step
        good = (step > 0) & ~backwards & ~boot
        if backwards.any():
            idx = np.where(good, np.arange(n), -1)
            np.maximum.accumulate(idx, out=idx)
            fill = np.where(idx >= 0, step[np.clip(idx, 0, None)], self.last_step)
            step = np.where(backwards, fill, step)
            self.resets += int(backwards.sum())
        good_idx = np.flatnonzero(good)
        if good_idx.size:
            self.last_step = int(step[good_idx[-1]])
        ticks = self.total + np.cumsum(step)
        self.total = int(ticks[-1])
        self.last_raw = int(r[-1])
        return ticks, backwards


class SequenceTracker:
    """Counts samples lost from gaps in a wrapping sequence number.

    A gap of more than half the range is a restart, not a loss; so is any gap at a frame whose
    device time went backwards (the caller passes that mask).
    """

    def __init__(self, bits: int = 16) -> None:
        self.modulo = 1 << bits
        self.half = 1 << (bits - 1)
        self.last: int | None = None

    def lost(self, seq: np.ndarray, restarted: np.ndarray | None = None) -> int:
        s = np.asarray(seq, dtype=np.int64) % self.modulo
        n = s.shape[0]
        if n == 0:
            return 0
        prev = np.empty(n, np.int64)
        prev[1:] = s[:-1]
        prev[0] = s[0] - 1 if self.last is None else self.last
        gap = (s - prev) % self.modulo
        missing = np.where((gap >= 1) & (gap < self.half), gap - 1, 0)
        if restarted is not None:
            missing = np.where(restarted, 0, missing)
        self.last = int(s[-1])
        return int(missing.sum())

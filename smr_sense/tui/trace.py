"""The last 10-30 s of force for the plot, decimated into short bins so 1 kHz costs what 20 Hz does.

Each bin keeps the maximum force and the strongest state in it (hold > rolling > off), so a short
peak or a short hold is never lost between two columns of the plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STATE_OFF, STATE_ROLLING, STATE_HOLD = 0, 1, 2
_STATE_WORDS = {"off": STATE_OFF, "idle": STATE_OFF, "rolling": STATE_ROLLING, "hold": STATE_HOLD}


def state_code(state: Any) -> int:
    """The pipeline's state (an enum or a word) as a plot code."""
    word = str(getattr(state, "value", state)).lower()
    return _STATE_WORDS.get(word, STATE_OFF)


def state_codes(states: Any) -> np.ndarray:
    """Per-sample states (an array of codes, words or enums) as plot codes."""
    arr = np.asarray(states)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int8)
    return np.fromiter((state_code(s) for s in arr.reshape(-1)), dtype=np.int8, count=arr.size)


class ForceTrace:
    def __init__(self, span_s: float = 30.0, bin_s: float = 0.05) -> None:
        self.span_s = span_s
        self.bin_s = bin_s
        size = int(np.ceil(span_s / bin_s)) * 2 + 8
        self._bin = np.zeros(size, dtype=np.int64)
        self._force = np.zeros(size)
        self._state = np.zeros(size, dtype=np.int8)
        self._n = 0
        self.version = 0  # bumps on every change, so the screen redraws only when there is news

    def clear(self) -> None:
        self._n = 0
        self.version += 1

    def add(self, t_s: np.ndarray, force_n: np.ndarray, state: np.ndarray) -> None:
        if t_s.size == 0:
            return
        bins = np.floor(t_s / self.bin_s).astype(np.int64)
        # Blocks are in time order, so bins are sorted: reduce runs of equal bins.
        starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
        new_bin = bins[starts]
        new_force = np.maximum.reduceat(np.nan_to_num(force_n.astype(np.float64)), starts)
        new_state = np.maximum.reduceat(state.astype(np.int8), starts)
        if self._n and new_bin[0] == self._bin[self._n - 1]:  # the open bin continues
            i = self._n - 1
            self._force[i] = max(self._force[i], new_force[0])
            self._state[i] = max(self._state[i], new_state[0])
            new_bin, new_force, new_state = new_bin[1:], new_force[1:], new_state[1:]
        span_bins = int(np.ceil(self.span_s / self.bin_s)) + 2  # the window may touch one bin more at each end
        if new_bin.size > span_bins:  # a block longer than the span (a fast replay): its tail is enough
            new_bin, new_force, new_state = new_bin[-span_bins:], new_force[-span_bins:], new_state[-span_bins:]
        m = new_bin.size
        if self._n + m > self._bin.size:  # full: keep the newest span, drop the rest
            keep = min(self._n, span_bins)
            for arr in (self._bin, self._force, self._state):
                arr[:keep] = arr[self._n - keep : self._n]
            self._n = keep
        self._bin[self._n : self._n + m] = new_bin
        self._force[self._n : self._n + m] = new_force
        self._state[self._n : self._n + m] = new_state
        self._n += m
        self.version += 1

    def window(self, now_s: float, window_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of (bin time, max force, state) for bins in [now - window, now]."""
        t = (self._bin[: self._n] + 1) * self.bin_s
        start = int(np.searchsorted(t, now_s - window_s, side="left"))
        return t[start:].copy(), self._force[start : self._n].copy(), self._state[start : self._n].copy()

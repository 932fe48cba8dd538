"""Causal moving-window sums whose chunked output is bit-identical to whole-array output.

Every filter in the detector is built from these: a moving mean over the last ``w`` samples is
``C[n] - C[n-w]`` on the running sum ``C``. The running sum is computed with ``np.cumsum`` seeded
with the carried total, which adds in exactly the same order whether the stream arrives as one
block or as single samples, so the live path and ``analyze`` agree to the last bit (scipy's
``lfilter`` would give the same guarantee, but importing ``scipy.signal`` alone costs about 1 s,
the whole ``analyze`` budget).
"""

from __future__ import annotations

import numpy as np


class MovingSum:
    """Sum (and count) of the last ``w`` samples of one or more float64 columns, causally."""

    def __init__(self, w: int, width: int | None = None) -> None:
        self.w = max(1, int(w))
        self.width = width
        shape = (self.w,) if width is None else (self.w, width)
        self._tail = np.zeros(shape)  # the last w running sums (zeros before the stream began)
        self._seen = 0

    def step(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sums, counts) for each sample of ``x``: the window ends at and includes the sample."""
        n = x.shape[0]
        if n == 0:
            return x.astype(np.float64), np.zeros(0)
        seeded = np.concatenate([self._tail[-1:], x.astype(np.float64, copy=False)])
        running = np.cumsum(seeded, axis=0)[1:]
        both = np.concatenate([self._tail, running])
        sums = both[self.w :] - both[:n]
        counts = np.minimum(np.arange(self._seen + 1, self._seen + n + 1), self.w).astype(np.float64)
        self._tail = both[-self.w :]
        self._seen += n
        return sums, counts

    def mean(self, x: np.ndarray) -> np.ndarray:
        sums, counts = self.step(x)
        return sums / (counts if sums.ndim == 1 else counts[:, None])


class Lookback:
    """The last ``w`` values of a column, so a block can look ``w`` samples into the past."""

    def __init__(self, w: int, fill: float = np.nan) -> None:
        self.w = max(1, int(w))
        self._tail = np.full(self.w, fill)

    def step(self, x: np.ndarray) -> np.ndarray:
        """``x`` delayed by ``w`` samples (the value ``w`` samples before each sample)."""
        both = np.concatenate([self._tail, x])
        out = both[: x.shape[0]]
        self._tail = both[-self.w :]
        return out

    def with_history(self, x: np.ndarray) -> np.ndarray:
        """The carried history followed by ``x`` (length w + n), advancing the state."""
        both = np.concatenate([self._tail, x])
        self._tail = both[-self.w :]
        return both


def samples_for(seconds: float, rate_hz: float) -> int:
    """A window of ``seconds`` at the nominal rate, at least one sample."""
    return max(1, int(round(seconds * rate_hz)))

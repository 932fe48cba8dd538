"""Causal moving-window sums whose chunked output is bit-identical to whole-array output.

Every filter in the detector is built from these: a moving mean over the last ``w`` samples is
``C[n] - C[n-w]`` on the running sum ``C``. The running sum is computed with ``np.cumsum`` seeded
with the carried total, which adds in exactly the same order whether the stream arrives as one
block or as single samples, so the live path and ``analyze`` agree to the last bit (scipy's
``lfilter`` would give the same guarantee, but importing ``scipy.signal`` alone costs about 1 s,
the whole ``analyze`` budget).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class _History:
    """The last ``w`` rows of a column (or columns), in a buffer with spare room after them.

    A block is appended in place and read back through views; only when the room runs out are the
    last ``w`` rows moved to the front. So a one-sample block (the live path, a thousand times a
    second) allocates nothing, where concatenating history and block would copy all ``w`` rows
    each time."""

    def __init__(self, w: int, width: int | None, fill: float) -> None:
        self.w = w
        self._row = () if width is None else (width,)
        self._spare = max(1024, 4 * w)
        self.buf = np.full((w + self._spare, *self._row), fill)
        self.end = w  # rows [end - w, end) are the history

    def append(self, x: np.ndarray) -> int:
        """Write ``x`` after the history; returns where it went (the old ``end``)."""
        n = x.shape[0]
        end = self.end
        if end + n > self.buf.shape[0]:  # out of room: the history moves to the front
            w = self.w
            buf = self.buf if n <= self._spare else np.empty((w + n, *self._row))
            buf[:w] = self.buf[end - w : end]
            self.buf = buf
            end = w
        self.buf[end : end + n] = x
        self.end = end + n
        return end


class MovingSum:
    """Sum (and count) of the last ``w`` samples of one or more float64 columns, causally."""

    def __init__(self, w: int, width: int | None = None) -> None:
        self.w = max(1, int(w))
        self.width = width
        # The last w running sums (zeros before the stream began).
        self._running = _History(self.w, width, 0.0)
        self._seen = 0

    def _sums(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        h = self._running
        end = h.append(x)
        buf, w = h.buf, self.w
        # The running sum seeded with the carried total: cumsum over [total, x...] adds in the same
        # order whether x is the whole stream or one sample (in place: no temporary arrays;
        # ``add.accumulate`` is what ``cumsum`` calls, minus a few microseconds of wrapper).
        run = buf[end - 1 : end + n]
        np.add.accumulate(run, 0, None, run)
        self._seen += n
        return buf[end : end + n] - buf[end - w : end - w + n]

    def step(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sums, counts) for each sample of ``x``: the window ends at and includes the sample."""
        n = x.shape[0]
        if n == 0:
            return x.astype(np.float64), np.zeros(0)
        counts = np.minimum(np.arange(self._seen + 1, self._seen + n + 1), self.w).astype(np.float64)
        return self._sums(x), counts

    def mean(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] and self._seen >= self.w:
            # Every window is full: dividing by w is the same division as by each sample's count.
            return self._sums(x) / float(self.w)
        sums, counts = self.step(x)
        return sums / (counts if sums.ndim == 1 else counts[:, None])


class Lookback:
    """The last ``w`` values of a column, so a block can look ``w`` samples into the past."""

    def __init__(self, w: int, fill: float = np.nan) -> None:
        self.w = max(1, int(w))
        self._hist = _History(self.w, None, fill)

    def step(self, x: np.ndarray) -> np.ndarray:
        """``x`` delayed by ``w`` samples (the value ``w`` samples before each sample)."""
        start = self._hist.append(x) - self.w
        return self._hist.buf[start : start + x.shape[0]].copy()  # a copy: the buffer is reused

    def with_history(self, x: np.ndarray) -> np.ndarray:
        """The carried history followed by ``x`` (length w + n), advancing the state."""
        start = self._hist.append(x) - self.w
        return self._hist.buf[start : start + self.w + x.shape[0]].copy()


class RecentBlocks(deque):
    """Recent blocks (tuples whose first item is the block's times), oldest first, for looking back.

    A deque: dropping the oldest shifts none. Live, a block is often one sample, and a look back
    over thousands of one-sample blocks is a Python loop of thousands (a 30 ms stall at 1 kHz when
    a hold candidate looks back 8 s). So every ``MERGE`` consecutive short blocks are joined into
    one: the samples, their order and so every answer stay the same; only the bookkeeping shrinks.
    """

    SHORT = 64  # samples: a block this long or longer is kept as it came
    MERGE = 64  # short blocks joined at a time

    def __init__(self) -> None:
        super().__init__()
        self._short = 0  # trailing short blocks not yet joined

    def append(self, block: tuple) -> None:
        super().append(block)
        if block[0].shape[0] >= self.SHORT:
            self._short = 0
            return
        self._short += 1
        if self._short >= self.MERGE:
            parts = [self.pop() for _ in range(self._short)][::-1]
            super().append(
                tuple(None if part[0] is None else np.concatenate(part) for part in zip(*parts, strict=True))
            )
            self._short = 0

    def drop_ending_before(self, horizon_s: float) -> None:
        """Drop the oldest blocks that end before ``horizon_s``; the newest always stays."""
        while len(self) > 1 and float(self[0][0][-1]) < horizon_s:
            self.popleft()
        self._short = min(self._short, len(self))


def samples_for(seconds: float, rate_hz: float) -> int:
    """A window of ``seconds`` at the nominal rate, at least one sample."""
    return max(1, int(round(seconds * rate_hz)))


class MovingMax:
    """Max of the last ``w`` samples of a column, causally. Maxima are exact, so any chunking gives
    bit-identical output. Long blocks use the van Herk / Gil-Werman scheme (prefix and suffix
    maxima over blocks of ``w``): O(n) in numpy, no per-sample loop. Short blocks (the live path,
    often one sample) keep the window's candidates in a monotonic queue: O(1) per sample where
    re-scanning the window would cost O(w) (3,000 samples for 3 s at 1 kHz)."""

    SHORT = 8  # samples: a block this short goes through the queue

    def __init__(self, w: int) -> None:
        self.w = max(1, int(w))
        self._hist = _History(max(self.w - 1, 1), None, np.nan)  # the previous w - 1 samples
        self._seen = 0
        # (sample number, value) candidates, oldest first, values falling. None when a long block
        # has passed: rebuilt from the history on the next short block.
        self._hi: deque | None = deque()

    def _tail(self) -> np.ndarray:
        k = min(self._seen, self.w - 1)
        return self._hist.buf[self._hist.end - k : self._hist.end]

    def step(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        x = x.astype(np.float64, copy=False)
        if n <= self.SHORT:
            out = self._step_short(x)
        else:
            both = np.concatenate([self._tail(), x])
            out = self._long(both)[both.shape[0] - n :]
            self._hi = None
        if self.w > 1:
            self._hist.append(x[-(self.w - 1) :])
        self._seen += n
        return out

    def _long(self, x: np.ndarray) -> np.ndarray:
        return _moving_max(x, self.w)

    def _rebuild(self) -> deque:
        """The queue(s) from the history, after a long block left them stale; returns the max-queue."""
        tail = self._tail()
        self._hi = _candidates(tail, self._seen - tail.shape[0])
        return self._hi

    def _step_short(self, x: np.ndarray) -> np.ndarray:
        hi = self._hi if self._hi is not None else self._rebuild()
        w, seen = self.w, self._seen
        out = np.empty(x.shape[0])
        for k, v in enumerate(x.tolist()):
            out[k] = _push(hi, seen + k, v, w)
        return out


class MovingRange(MovingMax):
    """Max - min of the last ``w`` samples of a column, as :class:`MovingMax` does the max: the min
    is the max of ``-x``, kept in a second queue of the same samples (one history, one loop, for
    the live path's sake)."""

    def __init__(self, w: int) -> None:
        super().__init__(w)
        self._lo: deque = deque()  # of -x: its max is minus the window's min

    def _long(self, x: np.ndarray) -> np.ndarray:
        return _moving_max(x, self.w) + _moving_max(-x, self.w)

    def _rebuild(self) -> deque:
        tail = self._tail()
        self._lo = _candidates(-tail, self._seen - tail.shape[0])
        return super()._rebuild()

    def _step_short(self, x: np.ndarray) -> np.ndarray:
        hi = self._hi if self._hi is not None else self._rebuild()
        lo, w, seen = self._lo, self.w, self._seen
        out = np.empty(x.shape[0])
        for k, v in enumerate(x.tolist()):
            out[k] = _push(hi, seen + k, v, w) + _push(lo, seen + k, -v, w)  # max + max(-x), as the long path
        return out


def _push(queue: deque, i: int, v: float, w: int) -> float:
    """Sample number ``i`` (value ``v``) into a max-queue over the last ``w`` samples: the window's max."""
    while queue and queue[-1][1] <= v:
        queue.pop()
    queue.append((i, v))
    while queue[0][0] <= i - w:
        queue.popleft()
    return queue[0][1]


def _candidates(x: np.ndarray, first: int) -> deque:
    """The max-queue for ``x`` (sample numbers from ``first``): each sample greater than every later
    one, oldest first. The queue that pushing the samples one by one would have left."""
    if x.shape[0] == 0:
        return deque()
    later = np.maximum.accumulate(x[::-1])[::-1]  # max of x[j:]
    keep = np.flatnonzero(np.append(x[:-1] > later[1:], True))
    return deque(zip((first + keep).tolist(), x[keep].tolist(), strict=True))


def _moving_max(x: np.ndarray, w: int) -> np.ndarray:
    """max(x[max(0, i-w+1) : i+1]) for each i."""
    n = x.shape[0]
    if w == 1 or n == 0:
        return x.copy()
    if n * w <= 65536:  # short blocks (the live path): direct
        pad = np.concatenate([np.full(w - 1, -np.inf), x])
        return np.lib.stride_tricks.sliding_window_view(pad, w).max(axis=1)
    m = -(-(n + w - 1) // w) * w
    pad = np.full(m, -np.inf)
    pad[w - 1 : w - 1 + n] = x
    blocks = pad.reshape(-1, w)
    prefix = np.maximum.accumulate(blocks, axis=1).ravel()
    suffix = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    # window ending at padded index j = i + w - 1 starts at i: suffix[i] covers i..end of its block,
    # prefix[j] covers start of j's block..j; together exactly i..j.
    i = np.arange(n)
    return np.maximum(suffix[i], prefix[i + w - 1])


def history_since(recent, lo: float, t: np.ndarray, x: np.ndarray, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """Times and values from ``lo`` on: the remembered blocks ``recent`` ((t, x) pairs, oldest
    first) followed by this block's first ``upto`` samples. Looking back across block edges this
    way gives the same answer however the stream was chunked."""
    parts_t, parts_x = [], []
    for rt, rx in recent:
        if rt.shape[0] and rt[-1] >= lo:
            a = int(np.searchsorted(rt, lo, "left"))
            parts_t.append(rt[a:])
            parts_x.append(rx[a:])
    a = int(np.searchsorted(t[:upto], lo, "left"))
    parts_t.append(t[a:upto])
    parts_x.append(x[a:upto])
    return np.concatenate(parts_t), np.concatenate(parts_x)


class SpeedHistory:
    """Speed (and position) over the last ``horizon_s``: the user's recent pace, where motion stopped."""

    def __init__(self, horizon_s: float) -> None:
        self.horizon_s = horizon_s
        self.blocks = RecentBlocks()  # (t, speed, pos or None)

    def add(self, t: np.ndarray, speed: np.ndarray, pos: np.ndarray | None = None) -> None:
        if t.shape[0]:
            self.blocks.append((t, speed, pos))

    def trim(self, now_s: float) -> None:
        self.blocks.drop_ending_before(now_s - self.horizon_s - 1.0)

    def positions(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """(t, pos) of the samples in [lo, hi], in time order."""
        parts_t, parts_p = [], []
        for t, _s, p in self.blocks:
            if p is None or t[-1] < lo or t[0] > hi:
                continue
            a, b = np.searchsorted(t, lo, "left"), np.searchsorted(t, hi, "right")
            parts_t.append(t[a:b])
            parts_p.append(p[a:b])
        if not parts_t:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(parts_t), np.concatenate(parts_p)

    def peak(self, lo: float, hi: float) -> float:
        best = 0.0
        if hi < lo:
            return best
        for t, s, _p in self.blocks:
            if t[-1] < lo or t[0] > hi:
                continue
            a, b = np.searchsorted(t, lo, "left"), np.searchsorted(t, hi, "right")
            if b > a:
                best = max(best, float(s[a:b].max()))
        return best

"""Contact (someone is on the roller) from total force with hysteresis, and auto-zero while idle.

Load cells drift by several newtons over a session (DOMAIN.md), so the zero is re-estimated, but
only from unloaded stretches and only a little at a time:

- when contact begins, the median of each channel over the idle stretch that preceded it (from 3 s
  to 1 s before the onset, so the user's first touch is not part of it, and at least 0.5 s of it)
  becomes the new zero, if that stretch was steady;
- the zero moves at most ``autozero_rate_n_per_s`` times the time since the last update, and never
  more than ``autozero_max_n`` from the calibration's own zero.

The zero changes only at contact onsets, so the stream between two onsets is processed with one
zero, vectorised, and the result does not depend on how the stream was chunked (medians do not
depend on summation order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.core.detect.window import RecentBlocks, history_since

IDLE_WINDOW_S = (3.0, 1.0)  # the idle stretch used for zeroing: from 3 s to 1 s before contact
IDLE_MIN_SPAN_S = 0.5
STEADY_SPREAD_N = 3.0  # max - min of an idle stretch steady enough to zero on (per channel)


@dataclass(frozen=True)
class ContactSettings:
    on_n: float = 25.0
    off_n: float = 12.0
    autozero: bool = True
    autozero_rate_n_per_s: float = 0.02  # 1.2 N per minute: drift is several N per hour
    autozero_max_n: float = 30.0


class ContactOut:
    """One block's contact result. (A plain class: one is made per block, a thousand a second live.)"""

    __slots__ = ("force_n", "channel_force_n", "contact", "onsets", "idle_windows")

    def __init__(self, force_n, channel_force_n, contact, onsets, idle_windows) -> None:
        self.force_n: np.ndarray = force_n  # total force after zeroing (n,)
        self.channel_force_n: np.ndarray = channel_force_n  # per channel after zeroing (n, k)
        self.contact: np.ndarray = contact  # bool (n,)
        self.onsets: np.ndarray = onsets  # indices where contact began in this block
        # (onset index, from_s, to_s): the idle stretch before it
        self.idle_windows: list[tuple[int, float, float]] = idle_windows


def hysteresis(x: np.ndarray, on: float, off: float, prev: bool) -> np.ndarray:
    """True from the first sample at or above ``on`` until the first below ``off``."""
    n = x.shape[0]
    up = x >= on
    # Usually every sample decides for itself (all above ``on`` while in contact, all below ``off``
    # while idle): then nothing is carried over and the answer is ``up``.
    if up.all():
        return up
    down = x < off
    decided = up | down
    if decided.all():
        return up
    idx = np.where(decided, np.arange(n), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, up[np.maximum(idx, 0)], prev)


_NO_INDEX = np.zeros(0, dtype=np.int64)
_NO_INDEX.flags.writeable = False  # shared by every block without an onset


def _edges(c: np.ndarray, before: bool) -> tuple[np.ndarray, np.ndarray]:
    """Indices where ``c`` turns on and where it turns off, ``before`` being the state before it."""
    # Most blocks stay in the state they began in: one reduction tells, without the edge arrays.
    if c.all() if before else not c.any():
        return _NO_INDEX, _NO_INDEX
    prev = np.concatenate([[before], c[:-1]])
    return np.flatnonzero(c & ~prev), np.flatnonzero(~c & prev)


class ContactDetector:
    def __init__(self, n_channels: int, settings: ContactSettings) -> None:
        self.s = settings
        self.offset_n = np.zeros(n_channels)  # subtracted from the calibrated force
        self.contact = False
        self.autozero_updates = 0
        self.autozero_skipped = 0
        self._last_update_t: float | None = None
        self._last_loss_t = -np.inf
        # Recent samples (t, channel force before zeroing, contact) for zeroing on the next onset.
        self._recent = RecentBlocks()

    def step(self, t: np.ndarray, channel_n: np.ndarray) -> ContactOut:
        n = t.shape[0]
        on_n, off_n = self.s.on_n, self.s.off_n
        # Stretches (contact, zeroed channels, total) in order; usually one, returned as it is.
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        onsets: list[int] = []
        windows: list[tuple[int, float, float]] = []
        i = 0
        look = 2048
        while i < n:
            j_end = min(n, i + look)
            z = channel_n[i:j_end] - self.offset_n
            total = z.sum(axis=1)
            c = hysteresis(total, on_n, off_n, self.contact)
            starts, losses = _edges(c, self.contact)
            if starts.size and starts[0] == 0 and self._onset_done(i, onsets):
                starts = starts[1:]  # this onset was just re-zeroed for; a later one in the stretch was not
            first = int(starts[0]) if starts.size else None
            if first is not None:
                stop = i + first
                self._accept(i, stop, t, c[:first], losses[losses < first])
                parts.append((c[:first], z[:first], total[:first]))
                # The onset is judged again with the new zero (the zero moves by a newton at most).
                window = self._idle_window(float(t[stop]))
                if window is not None:
                    windows.append((stop, *window))
                    self._rezero(t, channel_n, stop, window)
                onsets.append(stop)
                i = stop
                continue
            self._accept(i, j_end, t, c, losses)
            parts.append((c, z, total))
            i = j_end
            look *= 2
        if len(parts) == 1:
            contact, zeroed, force = parts[0]
        elif parts:
            contact, zeroed, force = (np.concatenate(p) for p in zip(*parts))
        else:
            contact, zeroed = np.empty(0, dtype=bool), np.empty_like(channel_n)
            force = zeroed.sum(axis=1)
        self._remember(t, channel_n, contact)
        onset_idx = np.array(sorted(set(onsets)), dtype=np.int64) if onsets else _NO_INDEX
        return ContactOut(force, zeroed, contact, onset_idx, windows)

    def _idle_window(self, onset_t: float) -> tuple[float, float] | None:
        lo = max(onset_t - IDLE_WINDOW_S[0], self._last_loss_t + 0.5)
        hi = onset_t - IDLE_WINDOW_S[1]
        return (lo, hi) if hi - lo >= IDLE_MIN_SPAN_S else None

    # An onset at the very sample we just re-zeroed for must not be re-zeroed again (that would loop).
    def _onset_done(self, i: int, onsets: list[int]) -> bool:
        return bool(onsets) and onsets[-1] == i

    def _accept(self, i, j, t, c, losses) -> None:
        """Samples [i, j) are decided (their contact ``c``): carry the state past them."""
        if j > i:
            self.contact = bool(c[-1])
        if losses.size:
            self._last_loss_t = float(t[i + int(losses[-1])])

    def _rezero(self, t: np.ndarray, channel_n: np.ndarray, onset: int, window: tuple[float, float]) -> bool:
        """Zero on the idle stretch before ``onset``; True when the zero changed."""
        if not self.s.autozero:
            return False
        lo, hi = window
        onset_t = float(t[onset])
        tt, ff = history_since(((rt, rf) for rt, rf, _rc in self._recent), lo, t, channel_n, onset)
        a, b = np.searchsorted(tt, lo, "left"), np.searchsorted(tt, hi, "right")
        window = ff[a:b]
        if window.shape[0] < 3 or float(tt[b - 1] - tt[a]) < IDLE_MIN_SPAN_S:
            return False
        if float((window.max(axis=0) - window.min(axis=0)).max()) > STEADY_SPREAD_N:
            self.autozero_skipped += 1
            return False
        target = np.median(window, axis=0)
        if abs(float((target - self.offset_n).sum())) > 0.5 * self.s.off_n:
            # Something rests on the roller (a leg, a bag): that is a load, not drift.
            self.autozero_skipped += 1
            return False
        since = onset_t - self._last_update_t if self._last_update_t is not None else np.inf
        step = np.clip(target - self.offset_n, -self.s.autozero_rate_n_per_s * since, self.s.autozero_rate_n_per_s * since)
        new = np.clip(self.offset_n + step, -self.s.autozero_max_n, self.s.autozero_max_n)
        self._last_update_t = onset_t
        if np.array_equal(new, self.offset_n):
            return False
        self.offset_n = new
        self.autozero_updates += 1
        return True

    def _remember(self, t: np.ndarray, channel_n: np.ndarray, contact: np.ndarray) -> None:
        if not t.shape[0]:
            return
        self._recent.append((t, channel_n, contact))
        self._recent.drop_ending_before(float(t[-1]) - IDLE_WINDOW_S[0] - 0.1)

"""Signal conditioning: from a raw :class:`SampleBlock` to clean per-channel force in newtons.

One stateful :class:`Conditioner` per stream, fed block after block (a sample is a block of one):

- samples whose time does not move forward (repeated, out of order, NaN) are dropped and counted,
  because every later stage measures durations in stream time;
- missing values (NaN, and infinite ones: no sensor reads infinity) are held at the channel's last
  good value (counted), so one lost reading never reads as the user stepping off the roller; before a
  channel's first good value there is nothing to hold, so those read as zero (counted apart);
- values no roller can produce (beyond 20 kN on one channel, 10,000 deg/s of rotation) are missing
  too, and counted apart: held, a 5,000,000 N glitch beside a NaN would pass the spike filter as two
  samples and become the session's peak force;
- single-sample spikes are removed by a causal median of three (one sample of delay, about 5 ms at
  200 Hz: far below what a hold's timing needs);
- raw counts at the ADC's limits are counted as saturated (the force there is a lower bound).

Zeroing while idle (auto-zero) needs to know when the roller is unloaded, so it lives with contact
detection in ``core.detect.contact``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smr_sense.core.calibration import G_N_PER_KG, channel_calibrations, channel_to_newtons
from smr_sense.core.samples import RESUME_GAP_S, SampleBlock, StreamInfo
from smr_sense.core.words import counted

# An HX711 is a 24-bit signed ADC: these are the two codes it reports when the input is beyond range.
ADC_COUNT_LIMITS = (-(2**23), 2**23 - 1)

# Beyond these a value is a glitch, not a reading. 20 kN is twenty times the 1000 N full scale that
# covers everyone on a roller (about two tonnes on one channel); the fastest MEMS gyros read 4000 deg/s.
PLAUSIBLE_FORCE_N = 20_000.0
PLAUSIBLE_RATE_DPS = 10_000.0


@dataclass
class ConditionStats:
    """What conditioning had to repair, for the session's warnings."""

    dropped_time: int = 0  # samples whose time repeated, went backwards or was not a finite number
    filled_values: int = 0  # NaN or infinite channel or gyro values held at the last good one
    implausible_values: int = 0  # beyond PLAUSIBLE_FORCE_N or PLAUSIBLE_RATE_DPS, held likewise
    zeroed_values: int = 0  # either kind before their channel's first good value, read as zero
    saturated: dict[str, int] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        out = []
        if n := self.dropped_time:
            its = "its" if n == 1 else "their"
            out.append(f"{counted(n, 'sample was', 'samples were')} dropped because {its} time repeated or went backwards")
        # One sentence per repair, each value counted once.
        held = [
            (self.filled_values, "missing value", "(empty, NaN or infinite)"),
            (self.implausible_values, "value",
             f"beyond what a roller can read ({PLAUSIBLE_FORCE_N:.0f} N, {PLAUSIBLE_RATE_DPS:.0f} deg/s)"),
        ]
        for n, what, which in held:
            if n:
                out.append(f"{counted(n, what)} {which} {_was(n)} replaced by the previous good value")
        if n := self.zeroed_values:
            its = "its" if n == 1 else "their"
            out.append(
                f"{counted(n, 'missing or impossible value')} came before any good value on {its} channel "
                f"and {_was(n)} read as zero"
            )
        for name, count in self.saturated.items():
            if count:
                out.append(
                    f"channel '{name}' was at its limit for {counted(count, 'sample')}, "
                    "so force there is under-read"
                )
        return out


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


class Conditioned:
    """A conditioned block: accepted samples only. (A plain class: one is made per block, and the
    live path makes a thousand a second; a frozen dataclass costs a microsecond more each.)"""

    __slots__ = ("t_s", "channel_force_n", "gyro_dps")

    def __init__(self, t_s: np.ndarray, channel_force_n: np.ndarray, gyro_dps: np.ndarray | None) -> None:
        self.t_s = t_s  # float64 (n,)
        self.channel_force_n = channel_force_n  # float64 (n, k), with the calibration's zero (auto-zero comes later)
        self.gyro_dps = gyro_dps  # float64 (n, 3)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


_NONE, _FIRST = np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
_NONE.flags.writeable = _FIRST.flags.writeable = False


def _median3(prev2: np.ndarray, x: np.ndarray, fresh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Causal median of the last three samples, per column; returns (out, new prev2). At each index
    in ``fresh`` (the first sample after a loss of signal) the median starts afresh, as at the
    stream's start: the samples from before the loss are not the neighbours of this one."""
    ext = np.concatenate([prev2, x])
    a, b, c = ext[:-2], ext[1:-1], ext[2:]
    if fresh.size:
        a, b = a.copy(), b.copy()
        second = fresh[fresh + 1 < x.shape[0]]
        a[second + 1] = x[second]
        a[fresh] = b[fresh] = x[fresh]  # after: a loss right after a loss starts afresh again
    out = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    prev2 = ext[-2:]
    if fresh.size and fresh[-1] == x.shape[0] - 1:  # the next block's first median starts afresh too
        prev2 = np.repeat(x[-1:], 2, axis=0)
    return out, prev2


def _hold_last_good(
    x: np.ndarray, last: np.ndarray, have: np.ndarray, limit: float
) -> tuple[np.ndarray, int, int, int, np.ndarray]:
    """Replace missing values (NaN, infinite, or beyond +-``limit``) by the column's previous good value.

    ``last`` (the last good value per column, zero before there is one) and ``have`` (whether the
    column has had a good value yet) carry over blocks. Returns (filled, held, beyond, zeroed, have):
    ``held`` missing values and ``beyond`` out-of-range ones took a previous good value, ``zeroed``
    ones (of either kind) had none before them and read as zero.
    """
    # The largest magnitude is NaN if any value is, and above the limit if any is infinite or out of
    # range, so one reduction clears the usual block without building a mask.
    if x.size == 0 or float(np.abs(x).max()) <= limit:
        return x, 0, 0, 0, np.ones_like(have)  # (all good: nothing held, beyond or zeroed)
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        beyond = finite & (np.abs(x) > limit)
    good_x = finite & ~beyond
    n_bad = int(x.size - good_x.sum())
    ext = np.concatenate([last[None, :], x])
    good = np.concatenate([have[None, :], good_x])
    idx = np.where(good, np.arange(ext.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled = np.take_along_axis(ext, idx, axis=0)[1:]
    zeroed_mask = (idx[1:] == 0) & ~good[1:] & ~have[None, :]
    zeroed = int(zeroed_mask.sum())
    beyond_held = int((beyond & ~zeroed_mask).sum())
    return filled, n_bad - zeroed - beyond_held, beyond_held, zeroed, have | good_x.any(axis=0)


class Conditioner:
    """Stateful conditioning of one stream; ``step`` is chunking-invariant."""

    def __init__(self, info: StreamInfo) -> None:
        self.info = info
        self.stats = ConditionStats(saturated={c.name: 0 for c in info.channels})
        self._cals = channel_calibrations(info)  # fails now, with one sentence, not on the first block
        self._counts = np.array([c.unit == "count" for c in info.channels])
        self._any_counts = bool(self._counts.any())
        # Linear channels (load cells, N, kg) convert in one vectorised step; power-law FSRs one by one.
        off, scale, self._power = [], [], []
        for i, (ch, c) in enumerate(zip(info.channels, self._cals)):
            if ch.unit == "N":
                off.append(0.0), scale.append(1.0)
            elif ch.unit == "kg":
                off.append(0.0), scale.append(G_N_PER_KG)
            elif c is not None and c.model == "linear":
                off.append(c.offset_counts), scale.append(c.n_per_count)
            elif c is not None and c.model == "identity":
                off.append(c.offset_counts), scale.append(1.0)
            else:
                off.append(0.0), scale.append(1.0)
                self._power.append(i)
        self._offset = np.array(off)
        self._scale = np.array(scale)
        # Channels already in newtons: (x - 0) * 1 is x to the bit, so the conversion is a plain copy.
        self._newtons_already = not any(off) and all(v == 1.0 for v in scale)
        k = info.n_channels
        self._last_t = -np.inf
        self._last_force = np.zeros(k)
        self._have_force = np.zeros(k, dtype=bool)
        self._last_gyro = np.zeros(3)
        self._have_gyro = np.zeros(3, dtype=bool)
        self._prev2_force: np.ndarray | None = None

    @staticmethod
    def _after_loss(before_t: float, t: np.ndarray) -> np.ndarray:
        """Indices of samples in ``t`` that come after a loss of signal (no samples for ``RESUME_GAP_S``);
        ``before_t``: the last sample before them (-inf at the stream's start: a fresh start too)."""
        first = t[0] - before_t > RESUME_GAP_S
        if t[-1] - t[0] <= RESUME_GAP_S:  # no room for a loss inside (the live path: always)
            return _FIRST if first else _NONE
        gaps = np.flatnonzero(np.diff(t) > RESUME_GAP_S) + 1
        return np.concatenate([[0], gaps]) if first else gaps

    def recalibrated(self, info: StreamInfo) -> Conditioner:
        """The same stream under a new calibration (recalibrated mid-session): its counts of dropped
        and repaired samples go on, and time must keep moving on; the filters start afresh, since
        their state is in the old calibration's newtons."""
        new = Conditioner(info)
        new.stats, new._last_t = self.stats, self._last_t
        return new

    def step(self, block: SampleBlock) -> Conditioned:
        t = block.t_s
        n = t.shape[0]
        before_t = self._last_t
        keep = None
        # Usually time only moves forward: then every sample is kept, checked without building the
        # running maximum (NaN fails both comparisons and takes the full path; so does an infinite
        # time, which can only be first or last in an increasing run).
        if n and not (t[0] > self._last_t and t[-1] < np.inf and (n == 1 or (t[1:] > t[:-1]).all())):
            # An infinite time is dropped like NaN: kept, it would make every later sample look old.
            finite_t = np.where(np.isfinite(t), t, np.nan)
            before = np.fmax.accumulate(np.concatenate([[self._last_t], finite_t]))[:-1]
            ok = finite_t > before  # False for NaN, infinities, repeats and steps back
            keep = ok
            self.stats.dropped_time += int((~ok).sum())
            t = t[ok]
            n = t.shape[0]
        if n:
            self._last_t = float(t[-1])
        raw = block.raw if keep is None else block.raw[keep]
        gyro = block.gyro_dps if (keep is None or block.gyro_dps is None) else block.gyro_dps[keep]

        if self._any_counts and n:
            lo, hi = ADC_COUNT_LIMITS
            at_limit = ((raw <= lo) | (raw >= hi)) & self._counts[None, :]
            if at_limit.any():
                for i, ch in enumerate(self.info.channels):
                    self.stats.saturated[ch.name] += int(at_limit[:, i].sum())

        if self._newtons_already:
            force = raw.astype(np.float64)
        else:
            force = (raw.astype(np.float64) - self._offset) * self._scale
        for i in self._power:
            force[:, i] = channel_to_newtons(self.info.channels[i], self._cals[i], raw[:, i])
        if n:
            force, held, beyond, zeroed, self._have_force = _hold_last_good(
                force, self._last_force, self._have_force, PLAUSIBLE_FORCE_N
            )
            self.stats.filled_values += held
            self.stats.zeroed_values += zeroed
            self.stats.implausible_values += beyond
            self._last_force = force[-1].copy()
            if self._prev2_force is None:
                self._prev2_force = np.repeat(force[:1], 2, axis=0)
            force, self._prev2_force = _median3(self._prev2_force, force, self._after_loss(before_t, t))

        gyro_out = None
        if self.info.has_gyro and gyro is not None:
            g = gyro.astype(np.float64)
            if n:
                g, held, beyond, zeroed, self._have_gyro = _hold_last_good(
                    g, self._last_gyro, self._have_gyro, PLAUSIBLE_RATE_DPS
                )
                self.stats.filled_values += held
                self.stats.zeroed_values += zeroed
                self.stats.implausible_values += beyond
                self._last_gyro = g[-1].copy()
            gyro_out = g
        elif self.info.has_gyro:
            gyro_out = np.zeros((n, 3))
        return Conditioned(t, force, gyro_out)

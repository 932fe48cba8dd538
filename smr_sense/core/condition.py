"""Signal conditioning: from a raw :class:`SampleBlock` to clean per-channel force in newtons.

One stateful :class:`Conditioner` per stream, fed block after block (a sample is a block of one):

- samples whose time does not move forward (repeated, out of order, NaN) are dropped and counted,
  because every later stage measures durations in stream time;
- NaN values are held at the channel's last good value (counted), so one lost reading never reads
  as the user stepping off the roller;
- single-sample spikes are removed by a causal median of three (one sample of delay, about 5 ms at
  200 Hz: far below what a hold's timing needs);
- raw counts at the ADC's limits are counted as saturated (the force there is a lower bound).

Zeroing while idle (auto-zero) needs to know when the roller is unloaded, so it lives with contact
detection in ``core.detect.contact``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smr_sense.core.calibration import G_N_PER_KG, Calibration, channel_to_newtons
from smr_sense.core.samples import SampleBlock, StreamInfo

# An HX711 is a 24-bit signed ADC: these are the two codes it reports when the input is beyond range.
ADC_COUNT_LIMITS = (-(2**23), 2**23 - 1)


@dataclass
class ConditionStats:
    """What conditioning had to repair, for the session's warnings."""

    dropped_time: int = 0  # samples whose time repeated, went backwards or was NaN
    filled_values: int = 0  # NaN channel or gyro values held at the last good one
    saturated: dict[str, int] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        out = []
        if self.dropped_time:
            out.append(f"{self.dropped_time} samples were dropped because their time repeated or went backwards")
        if self.filled_values:
            out.append(f"{self.filled_values} missing (NaN) values were replaced by the previous good value")
        for name, count in self.saturated.items():
            if count:
                out.append(f"channel '{name}' was at its limit for {count} samples, so force there is under-read")
        return out


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


def _median3(prev2: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Causal median of the last three samples, per column; returns (out, new prev2)."""
    ext = np.concatenate([prev2, x])
    a, b, c = ext[:-2], ext[1:-1], ext[2:]
    out = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return out, ext[-2:]


def _hold_last_good(x: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace NaN by the column's previous good value (``last`` carries over blocks)."""
    # A sum is NaN whenever a value is (and rarely otherwise: inf - inf), so one reduction clears
    # the usual block without building a mask; the exact count comes from the mask below.
    total = float(np.add.reduce(x, None))
    if total == total:  # not NaN (a Python float compare: np.isnan on a scalar costs more than the sum)
        return x, 0
    bad = np.isnan(x)
    n_bad = int(bad.sum())
    if not n_bad:
        return x, 0
    ext = np.concatenate([last[None, :], x])
    good = ~np.isnan(ext)
    idx = np.where(good, np.arange(ext.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled = np.take_along_axis(ext, idx, axis=0)[1:]
    return filled, n_bad


class Conditioner:
    """Stateful conditioning of one stream; ``step`` is chunking-invariant."""

    def __init__(self, info: StreamInfo) -> None:
        self.info = info
        self.stats = ConditionStats(saturated={c.name: 0 for c in info.channels})
        cal = Calibration.from_json(info.calibration) if info.calibration else None
        self._cals = [cal.for_channel(c.name) if cal else None for c in info.channels]
        # Fail now, with one sentence, rather than on the first block.
        for ch, c in zip(info.channels, self._cals):
            channel_to_newtons(ch, c, np.zeros(1, np.float32))
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
        self._last_gyro = np.zeros(3)
        self._prev2_force: np.ndarray | None = None

    def step(self, block: SampleBlock) -> Conditioned:
        t = block.t_s
        n = t.shape[0]
        keep = None
        # Usually time only moves forward: then every sample is kept, checked without building the
        # running maximum (NaN fails both comparisons and takes the full path).
        if n and not (t[0] > self._last_t and (n == 1 or (t[1:] > t[:-1]).all())):
            before = np.fmax.accumulate(np.concatenate([[self._last_t], t]))[:-1]
            ok = t > before  # False for NaN, repeats and steps back
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
            force, bad = _hold_last_good(force, self._last_force)
            self.stats.filled_values += bad
            self._last_force = force[-1].copy()
            if self._prev2_force is None:
                self._prev2_force = np.repeat(force[:1], 2, axis=0)
            force, self._prev2_force = _median3(self._prev2_force, force)

        gyro_out = None
        if self.info.has_gyro and gyro is not None:
            g = gyro.astype(np.float64)
            if n:
                g, bad = _hold_last_good(g, self._last_gyro)
                self.stats.filled_values += bad
                self._last_gyro = g[-1].copy()
            gyro_out = g
        elif self.info.has_gyro:
            gyro_out = np.zeros((n, 3))
        return Conditioned(t, force, gyro_out)

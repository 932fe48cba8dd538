"""Motion cues: is the roller moving under the user right now? One per sensor build, best first.

- :class:`GyroCue` (an IMU in the roller): rotation rate about the roller's axis, bias-corrected on
  the idle stretch before each contact. Tissue speed is omega * 2 r (the roller turns between floor
  and body), and its integral is the tissue position, which tells a re-adjustment (under 1 cm) from
  the start of a new stroke.
- :class:`PressureCentreCue` (several load cells or FSRs with known positions): the centre of
  pressure follows the roller's axle, which travels half as far as the tissue. Position directly,
  no drift.
- :class:`FluctuationCue` (one force channel): rolling swings the force once per pass (leverage,
  the muscle's contour); a hold keeps it steady apart from sway, creep and tremor. The range of the
  log force over a few seconds, against its own thresholds.

Each ``step`` returns ``moving`` (bool per sample) and ``pos_m`` (tissue position, or None), and has
a ``delay_s``: how late its smoothing reports that motion stopped, which the detector subtracts when
it back-dates a hold's start (``end_delay_s`` the same for a hold's end; ``backdate``, when not
None, finds the start in the cue's own record instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.core.detect.window import Lookback, MovingMax, MovingRange, MovingSum, RecentBlocks, history_since, samples_for
from smr_sense.core.samples import RESUME_GAP_S, StreamInfo

DEFAULT_RADIUS_M = 0.06
AXES = {"x": 0, "y": 1, "z": 2}


@dataclass(frozen=True)
class CueSettings:
    stop_speed_mps: float = 0.006  # tissue speed below which the roller has stopped
    move_speed_mps: float = 0.015  # ... above which it is rolling (postural sway stays below)
    speed_window_s: float = 0.2
    fluct_stop: float = 0.10  # range of the log force over the window: stopped
    fluct_move: float = 0.15  # ... rolling
    fluct_delay_s: float = 2.5  # fallback back-dating: a window plus the lean into the hold
    fluct_window_s: float = 3.0  # most of a slow pass
    roller_axis: str | None = None  # "x" | "y" | "z"; None: the axis that turns the most


@dataclass(frozen=True)
class CueOut:
    speed: np.ndarray  # the cue's measure: tissue speed (m/s) or relative force fluctuation
    pos_m: np.ndarray | None  # tissue position when the build can tell it
    quiet: np.ndarray | None = None  # force alone: so still that a stop may be announced sooner


class _IdleMedian:
    """Median of a column over given time windows, from the recent past (for bias estimation)."""

    def __init__(self, horizon_s: float = 3.5) -> None:
        self.horizon_s = horizon_s
        self._recent = RecentBlocks()

    def median(self, lo: float, hi: float, t: np.ndarray, x: np.ndarray, upto: int) -> np.ndarray | None:
        tt, xx = history_since(self._recent, lo, t, x, upto)
        sel = (tt >= lo) & (tt <= hi)
        if sel.sum() < 3:
            return None
        return np.median(xx[sel], axis=0)

    def remember(self, t: np.ndarray, x: np.ndarray) -> None:
        if not t.shape[0]:
            return
        self._recent.append((t, x))
        self._recent.drop_ending_before(float(t[-1]) - self.horizon_s)


class GyroCue:
    name = "gyro"
    adaptive_confirm, bursts = True, False
    backdate = redate = None
    redate_after_s = 0.0

    def __init__(self, info: StreamInfo, s: CueSettings) -> None:
        self.s = s
        self.radius_m = info.roller_radius_m or DEFAULT_RADIUS_M
        axis = s.roller_axis or info.extra.get("roller_axis")
        self.fixed_axis = AXES.get(str(axis).lower()) if axis else None
        self.bias_dps = np.zeros(3)
        self._energy_total = np.zeros(3)  # per-axis rotation during contact so far (argmax = roller axis)
        w = samples_for(s.speed_window_s, info.rate_hz)
        self._speed = MovingSum(w)
        self._pos = np.zeros(1)
        self._prev_t: float | None = None
        self._idle = _IdleMedian()
        self.delay_s = self.end_delay_s = (w - 1) / 2.0 / info.rate_hz
        self.window_s = w / info.rate_hz
        self.levels = (s.stop_speed_mps, s.move_speed_mps)

    def step(self, t: np.ndarray, gyro_dps: np.ndarray, contact: np.ndarray, idle_windows: list) -> CueOut:
        n = t.shape[0]
        if idle_windows:
            bias = np.broadcast_to(self.bias_dps, (n, 3)).copy()
            for index, lo, hi in idle_windows:
                b = self._idle.median(lo, hi, t, gyro_dps, index)
                if b is not None:
                    self.bias_dps = b
                bias[index:] = self.bias_dps
        else:
            bias = self.bias_dps  # one bias for the whole block: broadcast, no (n, 3) copy
        self._idle.remember(t, gyro_dps)
        omega = gyro_dps - bias
        if self.fixed_axis is not None:
            w_dps = omega[:, self.fixed_axis]
        else:
            e = np.abs(omega) * contact[:, None]
            seeded = np.concatenate([self._energy_total[None, :], e])
            cum = np.add.accumulate(seeded, 0)[1:]
            if n:
                self._energy_total = cum[-1]
            w_dps = omega[np.arange(n), np.argmax(cum, axis=1)]
        v_mps = np.radians(w_dps) * 2.0 * self.radius_m
        if n:
            prev_t = t[0] if self._prev_t is None else self._prev_t
            dt = np.empty(n)
            dt[0] = t[0] - prev_t
            np.subtract(t[1:], t[:-1], out=dt[1:])
            # Across a few lost samples the returning rate stands in for the missing ones; across a
            # loss of signal the travel is not known, and the returning rate times seconds of gap
            # would read as centimetres: none is counted (the samples after it show any motion).
            if dt[0] > RESUME_GAP_S or (n > 1 and float(dt[1:].max()) > RESUME_GAP_S):
                dt[dt > RESUME_GAP_S] = 0.0
            self._prev_t = float(t[-1])
            pos = np.add.accumulate(np.concatenate([self._pos, v_mps * dt]), 0)[1:]
            self._pos = pos[-1:]
        else:
            pos = np.zeros(0)
        speed = np.abs(self._speed.mean(v_mps))
        return CueOut(speed, pos)


class PressureCentreCue:
    name = "centre_of_pressure"
    adaptive_confirm, bursts = True, False
    backdate = redate = None
    redate_after_s = 0.0

    def __init__(self, info: StreamInfo, s: CueSettings, off_n: float) -> None:
        self.s = s
        self.x_m = np.array([c.position_m[0] for c in info.channels])
        self.off_n = off_n
        w = samples_for(s.speed_window_s, info.rate_hz)
        self._smooth = MovingSum(w)
        self._lag = Lookback(w, fill=0.0)
        self._lag_t = Lookback(w, fill=np.nan)
        self._last_pos = 0.0
        self.delay_s = self.end_delay_s = (w - 1) / info.rate_hz  # smoothing (half a window) plus the difference (half)
        self.window_s = 2 * w / info.rate_hz
        self.levels = (s.stop_speed_mps, s.move_speed_mps)

    def step(self, t: np.ndarray, channel_n: np.ndarray, total_n: np.ndarray) -> CueOut:
        n = t.shape[0]
        loaded = total_n > self.off_n
        # Channel by channel, not a matmul: BLAS adds a one-row block in a different order than a
        # long one, and the live path (one sample per call) must match the whole-array answer bit for bit.
        moment = channel_n[:, 0] * self.x_m[0]
        for k in range(1, self.x_m.shape[0]):
            moment = moment + channel_n[:, k] * self.x_m[k]
        cop = np.where(loaded, moment / np.where(loaded, total_n, 1.0), np.nan)
        # Unloaded: hold the last position (it has no meaning without weight on the plate).
        if n:
            ext = np.concatenate([[self._last_pos], cop])
            idx = np.where(~np.isnan(ext), np.arange(n + 1), 0)
            np.maximum.accumulate(idx, out=idx)
            cop = ext[idx][1:]
            self._last_pos = float(cop[-1])
        pos = 2.0 * cop  # the tissue travels twice as far as the axle
        smooth = self._smooth.mean(pos)
        before = self._lag.step(smooth)
        t_before = self._lag_t.step(t)
        dt = np.where(np.isnan(t_before), np.inf, t - t_before)
        speed = np.abs(smooth - before) / dt
        return CueOut(speed, smooth)


class FluctuationCue:
    """Force alone. Rolling swings the force once per pass (weight shifts along the stroke, 12-60 %
    peak to peak) plus the muscle's contour; a hold keeps it within sway (a few %), creep and brief
    re-adjustment dips.

    The score is the *range* (max - min) of the log force over the last ``fluct_window_s`` (3 s),
    after a low-pass that removes tremor (moving means with nulls at 10, 8 and 12 Hz) and a 0.25 s
    mean that flattens re-adjustment dips. Amplitude over most of a pass tells slow rolling from
    sway where a slope cannot: a 12 % swing over a 4.5 s pass has a slope of only ~0.03/s, less than
    strong sway's. Below ``fluct_stop`` the force has stopped changing for a whole window; above
    ``fluct_move`` it changes like rolling. The cue's "position" is the log force, so a change within
    a motion episode is relative (see ``HoldRules.readjust_max_m``).

    The range falls below ``fluct_stop`` a window after the force settles, a delay that varies with
    the lean into the hold, so a hold's start is found in the record instead (:meth:`backdate`).
    The range rises as soon as the force moves, so a hold's end needs only a short back-dating.

    A *rise out of stillness* reads as rolling even below ``fluct_move``: the range reaching
    ``fluct_stop`` and ``RISE_FACTOR`` times its lowest of the last ``RISE_MEMORY_S``. Sway keeps
    its amplitude from one window to the next, so a still stretch's own range (on the roller) does
    not treble; the first pass after a calm hold does, though a slow one may take seconds to swing
    the force by ``fluct_move``, and a cap falling due meanwhile would sound at someone already
    rolling on.

    ``quiet`` marks force far stiller than a stop needs: a range under ``QUIET`` and no drift (its
    ``QUIET_MEAN_S`` mean has moved less than ``QUIET_DRIFT`` in ``QUIET_DRIFT_S``). A slow pass can
    keep the range under ``fluct_stop`` for seconds, but it changes the force one way all along; the
    drift shows that; a still hold changes it by gentle sway alone. The detector announces such a stop
    sooner (``HoldRules.quiet_confirm_s``), so a short hold is seen while it lasts. Strong sway
    drifts too: those stops wait the usual confirmation.
    """

    name = "force_fluctuation"
    adaptive_confirm, bursts = False, True
    LP_S = (0.1, 0.125, 0.0833)
    PRE_S = 0.25
    LAG_S, STREAK_S = 0.15, 0.5
    BACKDATE_SLOPE = 0.1  # log force per second: still moving (sway's slope is about this at most)
    BACKDATE_MARGIN_S = 0.5  # the window may end inside the lean into the hold
    # The last fast change is usually the lean-in, just after the stop; but a pass gliding to a halt
    # (or ending over a flat stretch of muscle) stops changing the force before the roller stops, so
    # the errors skew early (-1.4 .. +0.65 s at 0.6 s). 0.4 s centres that spread in the 1 s collar.
    BACKDATE_OFFSET_S = 0.4
    # Re-dating (:meth:`redate`) a few seconds into the hold, from the hold's own sway.
    redate_after_s = 5.0  # after the candidate: well before a warning (start + 15 s) can fall due
    REDATE_SWAY_PCT, REDATE_SWAY_FACTOR = 80.0, 1.3  # ~1.2x the fastest the hold's own sway moves
    REDATE_SLOPE_RANGE = (0.03, 0.3)  # a calm hold / a hold swaying like slow rolling
    REDATE_MARGIN_S = 1.0  # the search may end this far inside the still window
    REDATE_LOOK_S = 6.0  # how far before the candidate the start may be
    END_DELAY_S = 0.3
    QUIET = 0.07
    QUIET_DRIFT, QUIET_DRIFT_S = 0.02, 2.0
    QUIET_MEAN_S = 0.5  # averages sway's faster swings out of the drift
    RISE_FACTOR, RISE_MEMORY_S = 3.0, 8.0  # longer than a hold's start is confirmed and dated

    def __init__(self, info: StreamInfo, s: CueSettings) -> None:
        self.s = s
        rate = info.rate_hz
        self._lp = [MovingSum(samples_for(w, rate)) for w in (*self.LP_S, self.PRE_S)]
        self._range = MovingRange(samples_for(s.fluct_window_s, rate))
        self._lowest = MovingMax(samples_for(self.RISE_MEMORY_S, rate))
        self._drift_mean = MovingSum(samples_for(self.QUIET_MEAN_S, rate))
        self._drift_lag = Lookback(samples_for(self.QUIET_DRIFT_S, rate), fill=np.nan)
        self.delay_s = s.fluct_delay_s  # used only when the record shows no motion before a candidate
        self.end_delay_s = self.END_DELAY_S
        self.window_s = self.STREAK_S
        self.levels = (s.fluct_stop, s.fluct_move)

    def step(self, t: np.ndarray, total_n: np.ndarray, contact: np.ndarray) -> CueOut:
        lp = total_n
        for m in self._lp[:-1]:
            lp = m.mean(lp)
        r = self._lp[-1].mean(np.log(np.maximum(lp, 1.0)))
        spread = self._range.step(r)
        # The max of minus the range is minus its lowest. Off the roller the force is zero and its
        # range too: no stillness to rise out of.
        minus_lowest = self._lowest.step(np.where(contact, -spread, -np.inf))
        rise = (spread >= self.s.fluct_stop) & (spread >= -self.RISE_FACTOR * minus_lowest)
        m = self._drift_mean.mean(r)
        drift = np.abs(m - self._drift_lag.step(m))  # NaN at the stream's start: not quiet
        quiet = (spread < self.QUIET) & (drift < self.QUIET_DRIFT)
        return CueOut(np.where(rise, np.maximum(spread, self.s.fluct_move), spread), r, quiet)

    def _slope(self, t: np.ndarray, r: np.ndarray) -> np.ndarray:
        """How fast the log force changes (per second, over ``LAG_S``) at each sample of the record."""
        lag = np.searchsorted(t, t - self.LAG_S, "left")
        dt = t - t[lag]
        return np.abs(r - r[lag]) / np.where(dt > 0, dt, np.inf)

    def backdate(self, t: np.ndarray, r: np.ndarray, cand_t: float) -> float:
        """Where the force stopped changing before a candidate at ``cand_t`` (``t``, ``r``: the recent
        record up to it): the last moment before the still window when the log force still moved
        faster than ``BACKDATE_SLOPE``, less the typical settling after the stop."""
        if t.shape[0] < 2:
            return cand_t - self.delay_s
        limit = cand_t - self.s.fluct_window_s + self.BACKDATE_MARGIN_S
        found = self._last_faster(t, self._slope(t, r), self.BACKDATE_SLOPE, t <= limit)
        return cand_t - self.delay_s if found is None else found

    def _last_faster(self, t: np.ndarray, slope: np.ndarray, limit: float, where: np.ndarray) -> float | None:
        """The last moment in ``where`` when the force changed faster than ``limit``, less the typical
        settling after the stop; None if it never did."""
        moving = np.flatnonzero((slope > limit) & where)
        return float(t[moving[-1]]) - self.BACKDATE_OFFSET_S if moving.size else None

    def redate(self, t: np.ndarray, r: np.ndarray, cand_t: float) -> float | None:
        """The start again, once the hold has gone on (``t``, ``r``: the record from somewhat more than
        ``REDATE_LOOK_S`` before the candidate up to now), or None to keep it.

        One fixed slope cannot serve every hold: a strongly swaying hold moves the force faster than
        ``BACKDATE_SLOPE`` (its first seconds read as rolling: dated late), while a pass gliding to a
        halt moves it slower (dated early). The hold's still stretch shows how fast its own sway moves
        the force; the start is the last moment before it when the force changed faster than that."""
        slope = self._slope(t, r)
        limit = cand_t - self.s.fluct_window_s + self.REDATE_MARGIN_S
        still = slope[t >= limit]
        if still.shape[0] < 10:
            return None
        sway = self.REDATE_SWAY_FACTOR * float(np.percentile(still, self.REDATE_SWAY_PCT))
        near = (t <= limit) & (t >= cand_t - self.REDATE_LOOK_S)  # the record's first LAG_S has no slope
        return self._last_faster(t, slope, float(np.clip(sway, *self.REDATE_SLOPE_RANGE)), near)


def cue_for(info: StreamInfo, s: CueSettings, off_n: float):
    """The strongest motion cue this sensor build offers."""
    if info.has_gyro:
        return GyroCue(info, s)
    if info.n_channels >= 2 and all(c.position_m is not None for c in info.channels):
        xs = {c.position_m[0] for c in info.channels}
        if len(xs) >= 2:
            return PressureCentreCue(info, s, off_n)
    return FluctuationCue(info, s)


class SteadyForce:
    """Is the force steady (not being lowered, lifted or leaned into)? A hold needs it to be.

    Compares the mean of the last 0.25 s with the mean 0.5 s before: lowering onto or lifting off
    the roller changes the force by far more than ``max_change`` (relative); postural sway (a few %),
    creep and tremor do not.
    """

    def __init__(self, rate_hz: float, max_change: float = 0.12) -> None:
        self.max_change = max_change
        self._mean = MovingSum(samples_for(0.25, rate_hz))
        self._lag = Lookback(samples_for(0.5, rate_hz), fill=np.nan)

    def step(self, total_n: np.ndarray) -> np.ndarray:
        m = self._mean.mean(total_n)
        before = self._lag.step(m)
        change = np.abs(m - before)
        return ~(change > self.max_change * np.maximum(np.abs(m), 1.0))  # NaN (stream start) -> steady

"""Calibration fitting: tare (zero) and span (known weights), for load cells and FSRs.

Pure and UI-free; :mod:`smr_sense.core.calibrate_steps` walks a person through the steps.

- Tare: the median of 1-5 s unloaded, per channel, with its noise (a robust standard deviation).
  Refused if the signal moves (drift or steps beyond the noise) or, when the stream already has a
  calibration, if the roller carries more than a few newtons (:class:`RollerLoaded`). That load is
  read through the old zero, so a zero that has moved far (a remounted load cell) reads as a load:
  the person can say the roller is empty (``assume_empty``) and zero it as it is.
- Span: one or more known weights, placed on each channel in turn when there are several. Load
  cells are fitted linearly (least squares over all points, so a plate whose cells share a weight
  still fits), FSRs by a power law per sensor (F = k * G^n in log-log; n = 1 from a single weight).
  Points lighter than the noise, measured twice or whose reading does not rise with the weight are
  refused with one sentence. Residuals are reported per point.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from smr_sense.core.calibration import G_N_PER_KG, Calibration, ChannelCalibration
from smr_sense.core.samples import SampleBlock, StreamInfo
from smr_sense.core.settings import BODY_MASS_RANGE_KG
from smr_sense.core.words import rounded
from smr_sense.errors import SmrError

TARE_MIN_S, TARE_MAX_S = 1.0, 5.0
# Long enough for the steadiness checks, short enough that nobody holds a weight on for minutes
POINT_MIN_S, POINT_MAX_S = 1.0, 10.0
MIN_SIGNAL_TO_NOISE = 10.0  # a weight must move its channel by 10 noise widths
LOADED_N = 20.0  # with a previous calibration: more than this is a load, not drift (several N per hour)
MAX_RESIDUAL = 0.05  # a fit missing a known weight by more than 5 % is refused


class CalibrationFitError(SmrError):
    """A tare or span step that cannot be used: ``what`` is wrong and, when the user can put it
    right at the roller, ``advice`` (the message reads "what; advice"). A replay's wizard gives
    its own advice instead, since nobody can take a weight off a recording."""

    def __init__(self, what: str, advice: str | None = None) -> None:
        super().__init__(what if advice is None else f"{what}; {advice}")
        self.what = what
        self.advice = advice


class RollerLoaded(CalibrationFitError):
    """The zero was refused because the roller reads ``load_n`` through its old zero: a load, or a
    zero that has moved since (only the person at the roller can tell which)."""

    def __init__(self, load_n: float) -> None:
        super().__init__(f"the roller carries about {load_n:.0f} N", "take everything off it and retry the zero")
        self.load_n = load_n


class TooLight(CalibrationFitError):
    """A known weight that barely moved its channel: only a heavier one (a new list) helps."""


def _robust_noise(x: np.ndarray) -> np.ndarray:
    """The sample-to-sample noise per column: from the median absolute first difference, so a drift
    or a step (which the steadiness check is for) does not pass for noise. A quantised channel
    that barely changes still has half its resolution of uncertainty: half a count for an ADC,
    0.005 N for a roller printing newtons to two decimals (a floor of half a count there, in N,
    let a 1 kg drift pass for steady)."""
    d = np.diff(x, axis=0)
    mad = np.median(np.abs(d - np.median(d, axis=0)), axis=0)
    return np.maximum(1.4826 * mad / np.sqrt(2.0), 0.5 * _resolution(x))


def _resolution(x: np.ndarray) -> np.ndarray:
    """The smallest step between distinct values, per column (0 for a constant column)."""
    out = np.zeros(x.shape[1])
    for i in range(x.shape[1]):
        steps = np.diff(np.unique(x[:, i]))
        if steps.size:
            out[i] = steps.min()
    return out


def _check_window(block: SampleBlock, min_s: float, what: str) -> None:
    if len(block) < 3:
        raise CalibrationFitError(f"no samples arrived for the {what}", "is the roller connected?")
    span = float(block.t_s[-1] - block.t_s[0])
    if span < min_s * 0.95:
        raise CalibrationFitError(f"the {what} needs at least {min_s:g} s of samples, got {span:.1f} s")
    if np.isnan(block.raw).any():
        raise CalibrationFitError(f"the {what} saw missing (NaN) values", "check the roller's connection and retry")


def _unstable(raw: np.ndarray, noise: np.ndarray) -> int | None:
    """Index of a channel whose two halves differ by more than the noise allows, else None."""
    half = raw.shape[0] // 2
    a, b = np.median(raw[:half], axis=0), np.median(raw[half:], axis=0)
    bad = np.flatnonzero(np.abs(a - b) > 3.0 * noise)
    return int(bad[0]) if bad.size else None


@dataclass(frozen=True)
class TareResult:
    offsets_counts: tuple[float, ...]
    noise_counts: tuple[float, ...]
    duration_s: float
    samples: int
    channels: tuple[str, ...]
    units: tuple[str, ...]  # per channel, as the roller sends it ("count", "N", "kg")

    def describe(self) -> str:
        # "load 0 (noise 0.5)" did not say whether the roller read 0 N or 0 counts.
        parts = ", ".join(
            f"{c} {o:.0f} counts (noise {s:.1f})" if u == "count" else f"{c} {rounded(o, 2):.2f} {u} (noise {s:.2f} {u})"
            for c, u, o, s in zip(self.channels, self.units, self.offsets_counts, self.noise_counts)
        )
        return f"zero over {self.duration_s:.1f} s: {parts}"


@dataclass(frozen=True)
class SpanPoint:
    load_kg: float
    channel: str | None  # the channel the weight was placed on (None: the roller as a whole)
    readings_counts: tuple[float, ...]  # per channel, median
    noise_counts: tuple[float, ...]

    @property
    def force_n(self) -> float:
        return self.load_kg * G_N_PER_KG

    def describe(self) -> str:
        where = f" on {self.channel}" if self.channel else ""
        return f"{self.load_kg:g} kg{where}: " + ", ".join(f"{r:.0f}" for r in self.readings_counts) + " counts"


def measure_tare(info: StreamInfo, block: SampleBlock, assume_empty: bool = False) -> TareResult:
    """Zero from an unloaded, still stretch of 1-5 s (longer input: its last 5 s). ``assume_empty``:
    the person says nothing is on the roller, so a load read through the old zero is that zero's
    drift, not refused."""
    _check_window(block, TARE_MIN_S, "zero")
    if float(block.t_s[-1] - block.t_s[0]) > TARE_MAX_S:
        block = block.slice(int(np.searchsorted(block.t_s, block.t_s[-1] - TARE_MAX_S)), len(block))
    raw = block.raw.astype(np.float64)
    noise = _robust_noise(raw)
    offsets = np.median(raw, axis=0)
    bad = _unstable(raw, noise)
    names = tuple(c.name for c in info.channels)
    if bad is not None:
        raise CalibrationFitError(
            f"channel '{names[bad]}' was not steady during the zero", "keep the roller still and unloaded, then retry"
        )
    # A roller in N or kg tells its load as it is; a raw-count one through its saved calibration.
    if (info.calibration or not info.sends_counts) and not assume_empty:
        try:
            from smr_sense.core.calibration import forces_n

            load = float(np.median(forces_n(info, block.raw).sum(axis=1)))
        except SmrError:
            load = 0.0
        if load > LOADED_N:
            raise RollerLoaded(load)
    span = float(block.t_s[-1] - block.t_s[0])
    units = tuple(c.unit for c in info.channels)
    return TareResult(tuple(offsets.tolist()), tuple(noise.tolist()), span, len(block), names, units)


# A known weight stands in for a person's load on the roller: more than the heaviest body weight
# the app accepts is a typing slip (1e9, an extra zero), never a weight on a foam roller.
MAX_KNOWN_WEIGHT_KG = BODY_MASS_RANGE_KG[1]


def parse_known_weights(text: str) -> list[float]:
    """'5, 10' or '5;10' -> [5.0, 10.0], as the command line and the dashboard's wizard take them."""
    try:
        values = [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise CalibrationFitError(f"'{text}' is not a list of kilograms such as 5,10") from None
    if not values:
        raise CalibrationFitError("give at least one known weight, for example 5,10")
    if any(not 0 < v <= MAX_KNOWN_WEIGHT_KG for v in values):  # NaN and inf fail too
        raise CalibrationFitError(f"weights must be above 0 and at most {MAX_KNOWN_WEIGHT_KG:g} kg, for example 5,10")
    # The same weight twice is one point of the fit measured twice: the fit would refuse it after
    # the user had placed every weight.
    for i, v in enumerate(values):
        if v in values[:i]:
            raise CalibrationFitError(f"{v:g} kg is listed twice", "give each known weight once, for example 5,10")
    return values


def measure_point(info: StreamInfo, block: SampleBlock, load_kg: float, channel: str | None, min_s: float = 1.0) -> SpanPoint:
    """The readings with a known weight on the roller (or on one channel)."""
    if not 0 < load_kg <= MAX_KNOWN_WEIGHT_KG:
        raise CalibrationFitError(f"a calibration weight must be above 0 and at most {MAX_KNOWN_WEIGHT_KG:g} kg, got {load_kg:g}")
    _check_window(block, min_s, f"{load_kg:g} kg reading")
    raw = block.raw.astype(np.float64)
    noise = _robust_noise(raw)
    bad = _unstable(raw, noise)
    if bad is not None:
        raise CalibrationFitError(
            f"channel '{info.channels[bad].name}' was not steady with {load_kg:g} kg on it",
            "let the weight settle and keep still, then retry",
        )
    return SpanPoint(float(load_kg), channel, tuple(np.median(raw, axis=0).tolist()), tuple(noise.tolist()))


@dataclass(frozen=True)
class PointResidual:
    load_kg: float
    channel: str | None
    known_n: float
    fitted_n: float

    @property
    def residual_n(self) -> float:
        return self.fitted_n - self.known_n

    def describe(self) -> str:
        where = f" on {self.channel}" if self.channel else ""
        # Both to 2 decimals: "-0.02 N, +0.0 %" put opposite signs on one residual.
        pct = rounded(100.0 * self.residual_n / self.known_n, 2)
        off_n = rounded(self.residual_n, 2)
        return f"{self.load_kg:g} kg{where}: {self.known_n:.1f} N known, {self.fitted_n:.1f} N fitted ({off_n:+.2f} N, {pct:+.2f} %)"


@dataclass(frozen=True)
class FitReport:
    residuals: tuple[PointResidual, ...]
    noise_n: tuple[float, ...]  # per channel: the zero's noise in newtons
    models: tuple[str, ...]
    checked: bool = True  # more known weights than the fit has unknowns: the residuals test it

    @property
    def max_residual_n(self) -> float:
        return max((abs(r.residual_n) for r in self.residuals), default=0.0)

    def describe(self, calibration: Calibration | None = None) -> list[str]:
        """Each point's residual, then (given the fitted ``calibration``) each channel's fit, as the
        command line and the dashboard's wizard both show them."""
        lines = [r.describe() for r in self.residuals]
        if not self.checked:
            # "+0.00 N, +0.00 %" from a fit that passes through its only point looked like a perfect one.
            lines.append("(the fit passes through these weights exactly; another known weight would check it)")
        for c, noise in zip(calibration.channels if calibration else (), self.noise_n):
            gain = f"{c.n_per_count:.6g} N per count" if c.model == "linear" else f"k {c.k:.4g}, n {c.exponent:.3f}"
            lines.append(f"{c.name}: {c.model}, zero {c.offset_counts:.0f} counts, {gain}, noise {noise:.2f} N")
        return lines


def validate_points(info: StreamInfo, tare: TareResult, points: list[SpanPoint]) -> None:
    names = [c.name for c in info.channels]
    seen: dict[tuple[str | None, float], SpanPoint] = {}
    for p in points:
        key = (p.channel, round(p.load_kg, 3))
        if key in seen:
            where = f" on {p.channel}" if p.channel else ""
            raise CalibrationFitError(
                f"{p.load_kg:g} kg{where} was measured twice", "use a different weight for each point"
            )
        seen[key] = p
        delta = np.array(p.readings_counts) - np.array(tare.offsets_counts)
        noise = np.array(tare.noise_counts)
        target = names.index(p.channel) if p.channel in names else int(np.argmax(np.abs(delta) / noise))
        if abs(delta[target]) < MIN_SIGNAL_TO_NOISE * noise[target]:
            raise TooLight(
                f"{p.load_kg:g} kg barely moved channel '{names[target]}' (less than {MIN_SIGNAL_TO_NOISE:g} times its "
                "noise)", "use a heavier weight",
            )
    by_channel: dict[str | None, list[SpanPoint]] = {}
    for p in points:
        by_channel.setdefault(p.channel, []).append(p)
    for ch, pts in by_channel.items():
        pts = sorted(pts, key=lambda p: p.load_kg)
        for lo, hi in zip(pts, pts[1:]):
            total_lo = sum(np.array(lo.readings_counts) - np.array(tare.offsets_counts))
            total_hi = sum(np.array(hi.readings_counts) - np.array(tare.offsets_counts))
            if abs(total_hi) <= abs(total_lo):
                where = f" on {ch}" if ch else ""
                raise CalibrationFitError(
                    f"the reading{where} did not rise from {lo.load_kg:g} kg to {hi.load_kg:g} kg",
                    "check the weights and the wiring, then redo those points",
                )


def rezero(calibration: Calibration, tare: TareResult) -> tuple[Calibration, dict[str, float]]:
    """The same span on a new zero, and what each re-zeroed channel read unloaded on its old zero, in N.

    Load cells drift by several newtons over a session and with temperature while their gain holds,
    so a zero at the start of a session (no weights) keeps a calibration true; the auto-zero only
    follows slow drift, a newton a minute."""
    moved_n: dict[str, float] = {}
    channels = []
    for c in calibration.channels:
        if c.model == "identity" or c.name not in tare.channels:
            channels.append(c)
            continue
        new = tare.offsets_counts[tare.channels.index(c.name)]
        # The unloaded reading under the old zero: positive when it has crept up since.
        moved_n[c.name] = float(c.apply(np.array([new]))[0])
        channels.append(replace(c, offset_counts=float(new)))
    if not moved_n:
        raise CalibrationFitError(
            "the saved calibration has none of this roller's channels", "calibrate it with known weights"
        )
    return replace(calibration, channels=tuple(channels)), moved_n


def counted_channels(info: StreamInfo) -> list[int]:
    """The channels a span calibrates (raw counts); refused when there are none."""
    counted = [i for i, c in enumerate(info.channels) if c.unit == "count"]
    if not counted:
        raise CalibrationFitError(
            f"every channel of {info.device_name} already reports force in N or kg; there is nothing to calibrate"
        )
    return counted


def fit_calibration(info: StreamInfo, tare: TareResult, points: list[SpanPoint]) -> tuple[Calibration, FitReport]:
    """Least-squares span over all points; linear for load cells, a power law per FSR."""
    names = [c.name for c in info.channels]
    counted = counted_channels(info)
    if not points:
        raise CalibrationFitError("the span needs at least one known weight")
    validate_points(info, tare, points)
    off = np.array(tare.offsets_counts)
    x = np.array([p.readings_counts for p in points]) - off  # (points, channels)
    f = np.array([p.force_n for p in points])
    linear = [i for i in counted if info.channels[i].sensor != "fsr"]
    fsr = [i for i in counted if info.channels[i].sensor == "fsr"]
    gains: dict[int, ChannelCalibration] = {}
    # A fit with no more points than unknowns passes through every one of them, so its zero
    # residuals check nothing: load cells share one least-squares fit (a gain each); an FSR's
    # power law has two unknowns of its own (one weight fixes n = 1 and k).
    exact = len(points) <= len(linear) if linear else True
    if linear:
        if fsr:
            raise CalibrationFitError("a roller mixing load cells and FSRs is not supported by the calibration")
        a = x[:, linear]
        if np.linalg.matrix_rank(a) < len(linear):
            raise CalibrationFitError(
                f"{len(points)} point(s) cannot tell {len(linear)} channels apart",
                "put a weight on each channel in turn",
            )
        k, *_ = np.linalg.lstsq(a, f, rcond=None)
        for j, i in enumerate(linear):
            if not k[j] != 0 or not np.isfinite(k[j]):
                raise CalibrationFitError(f"channel '{names[i]}' did not respond to the weights", "check its wiring")
            gains[i] = ChannelCalibration(names[i], "linear", offset_counts=float(off[i]), n_per_count=float(k[j]))
    for i in fsr:
        mine = [(p, x[n, i]) for n, p in enumerate(points) if p.channel in (names[i], None)]
        g = np.array([v for _, v in mine])
        fn = np.array([p.force_n for p, _ in mine])
        if g.size == 0 or np.any(g <= 0):
            raise CalibrationFitError(f"FSR '{names[i]}' needs a weight placed on it (its reading must rise)")
        if g.size == 1:
            exponent, kk = 1.0, float(fn[0] / g[0])  # conductance is roughly linear in force (DOMAIN.md)
        else:
            exponent, logk = np.polyfit(np.log(g), np.log(fn), 1)
            kk = float(np.exp(logk))
        exact = exact and g.size <= 2
        gains[i] = ChannelCalibration(names[i], "power", offset_counts=float(off[i]), k=kk, exponent=float(exponent))
    cal = Calibration(info.device_id, tuple(gains[i] for i in counted))
    residuals: list[PointResidual] = []
    for n, p in enumerate(points):
        if fsr and p.channel is not None:
            i = names.index(p.channel)
            fitted = float(gains[i].apply(np.array([p.readings_counts[i]]))[0])
        else:
            fitted = float(sum(gains[i].apply(np.array([p.readings_counts[i]]))[0] for i in counted))
        residuals.append(PointResidual(p.load_kg, p.channel, p.force_n, fitted))
    worst = max(residuals, key=lambda r: abs(r.residual_n) / r.known_n)
    if abs(worst.residual_n) > MAX_RESIDUAL * worst.known_n:
        where = f" on {worst.channel}" if worst.channel else ""
        raise CalibrationFitError(
            f"the fit misses {worst.load_kg:g} kg{where} by {100 * abs(worst.residual_n) / worst.known_n:.0f} %",
            "a weight moved or was not the one asked for, so redo the calibration",
        )
    # The force one noise width above the zero reads as: for an FSR's power law, too (it was NaN,
    # which a profile then carried as invalid JSON).
    noise_n = tuple(
        abs(float(gains[i].apply(np.array([off[i] + tare.noise_counts[i]]))[0])) for i in counted
    )
    return cal, FitReport(tuple(residuals), noise_n, tuple(gains[i].model for i in counted), checked=not exact)

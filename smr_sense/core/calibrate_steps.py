"""The calibration as steps a person follows: zero, then each known weight (on each channel in turn).

Pure and UI-free: the command line (``smr-sense calibrate``) and the dashboard's wizard both drive
a :class:`CalibrationProcedure` step by step and show its prompts their own way::

    proc = CalibrationProcedure(info, weights_kg=[5, 10])
    while (step := proc.current) is not None:
        show(step.prompt); wait_for_the_user()
        proc.start(t_now_s)                   # collect from now (after a short settle)
        while not proc.feed(next_block()): ...
        try:
            print(proc.complete().describe())  # TareResult or SpanPoint
        except CalibrationFitError as err:     # one sentence; the same step can be retried
            print(err)
    calibration, report = proc.result()
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smr_sense.core.calibrate import (
    POINT_MAX_S,
    POINT_MIN_S,
    TARE_MAX_S,
    TARE_MIN_S,
    CalibrationFitError,
    FitReport,
    SpanPoint,
    TareResult,
    counted_channels,
    fit_calibration,
    measure_point,
    measure_tare,
    validate_points,
)
from smr_sense.core.calibration import Calibration
from smr_sense.core.samples import SampleBlock, StreamInfo

NOISY_FACTOR = 5.0  # a reading with a weight 5 times noisier than the zero: the weight is moving


@dataclass(frozen=True)
class Step:
    kind: str  # "tare" | "weight"
    prompt: str
    load_kg: float | None = None
    channel: str | None = None


@dataclass
class CalibrationProcedure:
    """The calibration as a sequence of steps, fed samples; no I/O, no clock, no UI."""

    info: StreamInfo
    weights_kg: list[float]
    tare_s: float = 2.0
    point_s: float = 2.0
    settle_s: float = 0.5
    zero_only: bool = False  # re-zero on a saved span (see :func:`rezero`): the zero step alone
    # The person says the roller is empty: a load read through the old zero is its drift (set after
    # a :class:`~smr_sense.core.calibrate.RollerLoaded` refusal, which only they can overrule).
    assume_empty: bool = False
    steps: list[Step] = field(init=False)
    tare: TareResult | None = field(init=False, default=None)
    points: list[SpanPoint] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if not TARE_MIN_S <= self.tare_s <= TARE_MAX_S:
            raise CalibrationFitError(f"the zero takes {TARE_MIN_S:g}-{TARE_MAX_S:g} s, not {self.tare_s:g} s")
        if not POINT_MIN_S <= self.point_s <= POINT_MAX_S:
            raise CalibrationFitError(f"a weight takes {POINT_MIN_S:g}-{POINT_MAX_S:g} s, not {self.point_s:g} s")
        if not self.weights_kg and not self.zero_only:
            raise CalibrationFitError("give at least one known weight (for example --weights 5,10)")
        for w in self.weights_kg:
            if not w > 0:
                raise CalibrationFitError(f"a calibration weight must be above 0 kg, got {w:g}")
        # A roller in N or kg may still be zeroed (its own tare), not spanned.
        counted = [] if self.zero_only else [self.info.channels[i] for i in counted_channels(self.info)]
        self.steps = [Step("tare", "Take everything off the roller and keep it still")]
        several = len(counted) > 1
        for ch in counted:
            for w in self.weights_kg:
                if several:
                    self.steps.append(Step("weight", f"Put {w:g} kg on the roller right above {ch.name}", w, ch.name))
                else:
                    self.steps.append(Step("weight", f"Put {w:g} kg on the roller", w, None))
            if not several:
                break
        self._index = 0
        self._from_s: float | None = None
        self._blocks: list[SampleBlock] = []

    @property
    def current(self) -> Step | None:
        return self.steps[self._index] if self._index < len(self.steps) else None

    @property
    def duration_s(self) -> float:
        step = self.current
        return self.tare_s if (step is not None and step.kind == "tare") else self.point_s

    def start(self, t_s: float) -> None:
        """Collect for the current step from stream time ``t_s`` plus the settle time."""
        self._from_s = t_s + self.settle_s
        self._blocks = []

    def feed(self, block: SampleBlock) -> bool:
        """Add samples; True once the current step has its ``duration_s`` of them."""
        if self._from_s is None or not len(block):
            return self._enough()
        a = int(np.searchsorted(block.t_s, self._from_s, "left"))
        b = int(np.searchsorted(block.t_s, self._from_s + self.duration_s, "right"))
        if b > a:
            self._blocks.append(block.slice(a, b))
        return self._enough() or bool(block.t_s[-1] >= self._from_s + self.duration_s)

    def _enough(self) -> bool:
        if not self._blocks:
            return False
        # The whole window, give or take a sample's jitter: "--tare-s 2" zeroes over 2 s, not 1.9.
        return float(self._blocks[-1].t_s[-1] - self._blocks[0].t_s[0]) >= self.duration_s - 0.5 / self.info.rate_hz

    def complete(self) -> TareResult | SpanPoint:
        """Finish the current step; on error the step stays current (retry with ``start``)."""
        step = self.current
        if step is None:
            raise CalibrationFitError("the calibration has no step left")
        block = SampleBlock.concat(self._blocks, self.info.n_channels)
        self._from_s = None
        self._blocks = []
        if step.kind == "tare":
            self.tare = measure_tare(self.info, block, self.assume_empty)
            self._index += 1
            return self.tare
        point = measure_point(self.info, block, float(step.load_kg or 0.0), step.channel, min_s=0.95 * self.point_s)
        if self.tare is not None:
            noisy = np.array(point.noise_counts) > NOISY_FACTOR * np.array(self.tare.noise_counts) + 1.0
            if noisy.any():
                name = self.info.channels[int(np.flatnonzero(noisy)[0])].name
                raise CalibrationFitError(
                    f"channel '{name}' was far noisier with {step.load_kg:g} kg on it than unloaded; "
                    "let the weight rest still on the roller, then retry"
                )
            validate_points(self.info, self.tare, self.points + [point])
        self.points.append(point)
        self._index += 1
        return point

    def result(self) -> tuple[Calibration, FitReport]:
        if self.tare is None or self.current is not None:
            raise CalibrationFitError("the calibration is not finished yet")
        return fit_calibration(self.info, self.tare, self.points)

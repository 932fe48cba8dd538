"""The simulated roller: a seeded, endless, labelled stream of samples.

Samples are made one planned segment at a time (each with its own child generator), then handed
out in whatever block sizes the caller asks for, so the stream is identical however it is read.
The ground truth (idle / transition / rolling / hold segments, in device time) grows as segments
are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from smr_sense.core.samples import SampleBlock, StreamInfo
from smr_sense.core.sim.body import BodyState, synthesize
from smr_sense.core.sim.config import SimConfig
from smr_sense.core.sim.script import routine
from smr_sense.core.sim.sensors import SensorBuild

TRUTH_KIND = {"idle": "idle", "lower": "transition", "lift": "transition", "roll": "rolling", "hold": "hold"}


@dataclass(frozen=True)
class Segment:
    """A stretch of ground truth. ``start_s``/``end_s`` are device time; holds start when motion stops."""

    kind: str  # idle | transition | rolling | hold
    start_s: float
    end_s: float
    group: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": self.start_s, "end_s": self.end_s, "group": self.group}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Segment:
        return cls(str(obj["kind"]), float(obj["start_s"]), float(obj["end_s"]), str(obj.get("group", "")))


class SimRoller:
    """A simulated instrumented roller with a simulated person on it."""

    def __init__(self, config: SimConfig | None = None, source: str | None = None) -> None:
        self.config = config or SimConfig()
        c = self.config
        self._rng = np.random.default_rng(c.seed)
        self.body_mass_kg = c.body_mass_kg if c.body_mass_kg is not None else float(self._rng.uniform(50.0, 110.0))
        self.radius_m = float(self._rng.uniform(0.05, 0.075))
        self._sensors = SensorBuild(c.build, np.random.default_rng(self._rng.integers(2**63)), c.channels, self.radius_m)
        self._bench_rng = np.random.default_rng(self._rng.integers(2**63))
        self._plans = routine(np.random.default_rng(self._rng.integers(2**63)), c.resolved_behaviour())
        self._state = BodyState()
        self._next_index = 0  # nominal sample index where the next segment starts
        self._buffer: list[SampleBlock] = []
        self._buffered = 0
        self.truth: list[Segment] = []
        device_id = f"sim-{c.build}-{c.seed}"
        self.info = StreamInfo(
            source=source or f"sim:?seed={c.seed}&build={c.build}",
            device_id=device_id,
            device_name=f"Simulated roller ({c.build})",
            channels=self._sensors.channels,
            rate_hz=c.rate_hz,
            has_gyro=c.build == "imu",
            has_accel=c.build == "imu",
            firmware="sim-1",
            roller_radius_m=self.radius_m,
            calibration=self._sensors.factory_calibration(device_id).to_json(),
            extra={"body_mass_kg": round(self.body_mass_kg, 2), "hard": c.hard},
        )

    def read(self, n: int) -> SampleBlock:
        """The next ``n`` delivered samples (after transport losses)."""
        while self._buffered < n:
            self._make_segment()
        out: list[SampleBlock] = []
        need = n
        while need:
            head = self._buffer[0]
            if len(head) <= need:
                out.append(self._buffer.pop(0))
                need -= len(head)
            else:
                out.append(head.slice(0, need))
                self._buffer[0] = head.slice(need, len(head))
                need = 0
        self._buffered -= n
        return SampleBlock.concat(out, len(self.info.channels))

    def read_until(self, t_s: float) -> SampleBlock:
        """All delivered samples with device time below ``t_s``."""
        while not self._buffer or self._buffer[-1].t_s.size == 0 or self._buffer[-1].t_s[-1] < t_s:
            self._make_segment()
        count = 0
        for block in self._buffer:
            count += int(np.searchsorted(block.t_s, t_s, side="left"))
            if len(block) and block.t_s[-1] >= t_s:
                break
        return self.read(count)

    def _make_segment(self) -> None:
        c = self.config
        plan = next(self._plans)
        rng = np.random.default_rng(self._rng.integers(2**63))
        n = max(1, int(round(plan.duration_s * c.rate_hz)))
        k = np.arange(self._next_index, self._next_index + n)
        t_nominal = k / c.rate_hz
        motion = synthesize(plan, (k - self._next_index) / c.rate_hz, self._state, self.body_mass_kg, rng)
        raw, gyro, accel = self._sensors.read(t_nominal, motion, rng)
        start_s, end_s = self._next_index / c.rate_hz, (self._next_index + n) / c.rate_hz
        self._add_truth(TRUTH_KIND[plan.kind], start_s, end_s, plan.group)
        self._next_index += n

        # Transport: device timestamps jitter a little (never out of order), samples get lost.
        t = t_nominal + np.clip(rng.normal(0.0, c.jitter_s, n), -0.4 / c.rate_hz, 0.4 / c.rate_hz)
        np.maximum(t, 0.0, out=t)  # a device clock starts at zero: no session begins at t -0.0004
        keep = rng.random(n) >= c.drop_rate
        for _ in range(int(rng.poisson(c.burst_per_min * plan.duration_s / 60.0))):
            first = int(rng.integers(0, n))
            keep[first : first + int(rng.integers(5, 51))] = False
        block = SampleBlock.build(
            t[keep], raw[keep], None if gyro is None else gyro[keep], None if accel is None else accel[keep]
        )
        self._buffer.append(block)
        self._buffered += len(block)

    def _add_truth(self, kind: str, start_s: float, end_s: float, group: str) -> None:
        last = self.truth[-1] if self.truth else None
        if last is not None and last.kind == kind and last.group == group:
            self.truth[-1] = Segment(kind, last.start_s, end_s, group)
        else:
            self.truth.append(Segment(kind, start_s, end_s, group))

    def on_bench(self, block: SampleBlock, cell_load_n: np.ndarray) -> SampleBlock:
        """``block``'s times with the person off the roller and known loads on its cells instead.

        This is the simulated calibration bench: the user steps off and puts known weights on
        the roller, so the cells read their load (plus drift and noise) and the gyro reads only
        its bias.
        """
        n = len(block)
        rng = np.random.default_rng(self._bench_rng.integers(2**63))
        raw = np.empty((n, len(self._sensors.cells)))
        for i, c in enumerate(self._sensors.cells):
            force = cell_load_n[i] + rng.normal(0.0, c.noise_n, n) + c.drift_n_per_h * block.t_s / 3600.0
            raw[:, i] = np.round(c.offset_counts + c.counts_per_n * force)
        gyro = accel = None
        if block.gyro_dps is not None and self._sensors.gyro is not None:
            g = self._sensors.gyro
            gyro = np.asarray(g.bias_dps) + rng.normal(0.0, g.noise_dps, (n, 3))
        if block.accel_g is not None:
            accel = np.array([0.0, 0.0, 1.0]) + rng.normal(0.0, 0.01, (n, 3))
        return SampleBlock.build(block.t_s, raw, gyro, accel, block.host_t_s)

    def truth_until(self, t_s: float) -> list[Segment]:
        """Ground truth clipped to ``[0, t_s)``."""
        out = []
        for seg in self.truth:
            if seg.start_s >= t_s:
                break
            out.append(Segment(seg.kind, seg.start_s, min(seg.end_s, t_s), seg.group))
        return out


def simulate(config: SimConfig, duration_s: float) -> tuple[StreamInfo, SampleBlock, list[Segment]]:
    """A whole session of ``duration_s`` seconds at once: (info, samples, ground truth)."""
    roller = SimRoller(config)
    block = roller.read_until(duration_s)
    return roller.info, block, roller.truth_until(duration_s)

"""Knobs of the simulated roller, with ranges taken from the literature in DOMAIN.md.

Every range is sampled per session (person, sensor) or per segment (stroke, hold) from one seeded
generator, so a seed is a whole reproducible session. ``hard=True`` widens the ranges toward the hard
cases a detector must survive: slow rolling, long reversal pauses, strong sway, creep,
re-adjustments, very short and very long holds, dropped samples.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from smr_sense.core.samples import STREAM_RATE_RANGE_HZ

BUILDS = ("force", "channels", "imu")

# Bottom-up routine with the share of body weight each position puts on the roller. Means follow the
# 32-34 % (peaks 51-55 %) measured under a roller (Baumgart et al. 2019); legs-only positions
# (calves, hamstrings) carry less because the hands hold part of the weight.
MUSCLE_GROUPS: tuple[tuple[str, float, float], ...] = (
    ("calves", 0.15, 0.25),
    ("hamstrings", 0.20, 0.30),
    ("quads", 0.28, 0.38),
    ("adductors", 0.20, 0.30),
    ("glutes", 0.30, 0.40),
    ("it_band", 0.32, 0.42),
    ("lower_back", 0.24, 0.34),
    ("upper_back", 0.30, 0.40),
    ("lats", 0.26, 0.36),
)


@dataclass(frozen=True)
class Behaviour:
    """How the simulated person rolls. Ranges are (low, high), sampled uniformly."""

    cadence_per_min: tuple[float, float] = (15.0, 40.0)  # one stroke = one pass in one direction
    stroke_length_m: tuple[float, float] = (0.08, 0.25)  # tissue travel per stroke
    reversal_pause_s: tuple[float, float] = (0.1, 0.45)
    long_pause_share: float = 0.05  # strokes whose reversal pause is 0.45-0.6 s
    roll_before_hold_s: tuple[float, float] = (6.0, 30.0)
    holds_per_group: tuple[int, int] = (1, 3)
    hold_s: tuple[float, float] = (5.0, 30.0)
    long_hold_share: float = 0.15  # holds of 30-45 s: the cap alarm's reason to exist
    short_hold_share: float = 0.1  # holds of 3-5 s
    lean_in_ratio: tuple[float, float] = (1.0, 1.25)  # hold force / rolling force
    sway_pct: tuple[float, float] = (0.8, 3.0)  # postural sway amplitude, % of hold force
    sway_hz: tuple[float, float] = (0.15, 0.5)
    sway_travel_m: tuple[float, float] = (0.0005, 0.003)  # body movement from sway
    tremor_pct: tuple[float, float] = (0.2, 0.8)
    tremor_hz: tuple[float, float] = (8.0, 12.0)
    creep_pct: tuple[float, float] = (-4.0, 4.0)  # drift over 20 s
    readjust_per_min: tuple[float, float] = (0.0, 4.0)
    readjust_travel_m: tuple[float, float] = (0.002, 0.009)  # under 1 cm
    readjust_s: tuple[float, float] = (0.1, 0.3)
    idle_s: tuple[float, float] = (4.0, 15.0)
    lower_s: tuple[float, float] = (0.6, 1.5)
    lift_s: tuple[float, float] = (0.4, 1.2)
    # Rolling loads swing widely: peaks reach 51-55 % of body weight against a 32-34 % mean
    # (Baumgart et al. 2019). The arms and the other leg push the body along each stroke, shifting
    # weight on and off the roller once per pass whatever its length; the muscle's contour adds more.
    stroke_swing_pct: tuple[float, float] = (20.0, 60.0)  # peak-to-peak force change over one pass
    terrain_pct: tuple[float, float] = (4.0, 10.0)  # muscle contour under the roller

    def hard(self) -> Behaviour:
        return replace(
            self,
            cadence_per_min=(12.0, 42.0),
            stroke_length_m=(0.05, 0.28),
            reversal_pause_s=(0.1, 0.6),
            long_pause_share=0.25,
            hold_s=(3.0, 45.0),
            long_hold_share=0.25,
            short_hold_share=0.2,
            sway_pct=(1.5, 5.0),
            sway_travel_m=(0.001, 0.004),
            tremor_pct=(0.3, 1.5),
            creep_pct=(-6.0, 6.0),
            readjust_per_min=(2.0, 8.0),
            stroke_swing_pct=(12.0, 40.0),
            terrain_pct=(3.0, 8.0),
        )


@dataclass(frozen=True)
class SimConfig:
    """One simulated session.

    ``rate_hz`` is the device's sample rate; ``jitter_s`` the standard deviation of device timestamp
    jitter (clipped so time stays monotonic); ``drop_rate`` the share of single samples lost in
    transport and ``burst_per_min`` how often a burst of 5-50 consecutive samples is lost.
    ``body_mass_kg`` None draws 50-110 kg from the seed.
    """

    seed: int = 0
    build: str = "imu"
    rate_hz: float = 100.0
    body_mass_kg: float | None = None
    hard: bool = False
    jitter_s: float = 0.0003
    drop_rate: float = 0.002
    burst_per_min: float = 0.2
    channels: int = 4  # for the "channels" build: 2 or 4 load cells under a plate
    behaviour: Behaviour | None = None

    def __post_init__(self) -> None:
        if self.build not in BUILDS:
            raise ValueError(f"unknown sensor build '{self.build}': use {', '.join(BUILDS)}")
        low, high = STREAM_RATE_RANGE_HZ
        if not low <= self.rate_hz <= high:
            raise ValueError(f"a rate of {self.rate_hz:g} Hz is outside {low:g}-{high:g} Hz")
        if self.channels not in (2, 4):
            raise ValueError("the channels build has 2 or 4 load cells")
        if not 0.0 <= self.drop_rate < 0.5:
            raise ValueError("drop_rate must be between 0 and 0.5")

    def resolved_behaviour(self) -> Behaviour:
        base = self.behaviour or Behaviour()
        return base.hard() if self.hard and self.behaviour is None else base

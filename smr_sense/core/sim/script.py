"""What the simulated person does next: a bottom-up routine, drawn lazily from a seeded generator.

Per muscle group: lower onto the roller, roll, stop on a trigger point and hold (1-3 times, rolling
in between), lift off, rest. Groups go bottom-up and start over after the lats, so a session can
run for as long as the caller reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smr_sense.core.sim.config import MUSCLE_GROUPS, Behaviour


@dataclass(frozen=True)
class Stroke:
    """One pass in one direction: move ``length_m`` of tissue in ``move_s``, then pause ``pause_s``."""

    move_s: float
    pause_s: float
    length_m: float
    direction: int  # +1 or -1


@dataclass(frozen=True)
class Plan:
    """One segment of behaviour. ``kind`` is idle, lower, roll, hold or lift."""

    kind: str
    duration_s: float
    group: str
    params: dict[str, Any] = field(default_factory=dict)


def _u(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _strokes(
    rng: np.random.Generator,
    b: Behaviour,
    target_s: float,
    first_dir: int,
    end_in_stop: bool,
    length: float,
    offset_m: float = 0.0,
) -> tuple[list[Stroke], float]:
    """Strokes filling about ``target_s``, starting ``offset_m`` from the group's spot, and the
    offset where they end. The person keeps one cadence per bout and the muscle's stroke length,
    with stroke-to-stroke variation of about 10 %."""
    cadence = _u(rng, b.cadence_per_min)
    period = 60.0 / cadence
    strokes: list[Stroke] = []
    total = 0.0
    offset = offset_m
    direction = first_dir
    while total < target_s or not strokes:
        if rng.random() < b.long_pause_share:
            pause = float(rng.uniform(max(b.reversal_pause_s[1], 0.45), 0.6))
        else:
            pause = _u(rng, b.reversal_pause_s)
        this_period = period * float(rng.uniform(0.9, 1.1))
        move = max(this_period - pause, 0.4)
        # Passes go back and forth over one stretch of muscle centred on the spot where the person
        # lowered on, turning about half a stroke either side of it, so the body stays on the muscle
        # from one bout to the next (a hold ends a bout wherever the trigger point was).
        turn_m = direction * 0.5 * length * float(rng.uniform(0.85, 1.15))
        this_length = max((turn_m - offset) * direction, 0.3 * length)
        offset += direction * this_length
        strokes.append(Stroke(move, pause, this_length, direction))
        total += move + pause
        direction = -direction
    if end_in_stop:
        # The person stops on the trigger point at the end of a pass: no reversal pause, the hold
        # begins the moment the motion stops.
        last = strokes[-1]
        strokes[-1] = Stroke(last.move_s, 0.0, last.length_m, last.direction)
    return strokes, offset


def _hold_s(rng: np.random.Generator, b: Behaviour) -> float:
    r = rng.random()
    if r < b.short_hold_share:
        return float(rng.uniform(3.0, 5.0))
    if r < b.short_hold_share + b.long_hold_share:
        return float(rng.uniform(30.0, max(b.hold_s[1], 45.0)))
    return _u(rng, b.hold_s)


def routine(rng: np.random.Generator, b: Behaviour) -> Iterator[Plan]:
    """The endless plan: the bottom-up routine, repeated."""
    first = True
    while True:
        for group, share_lo, share_hi in MUSCLE_GROUPS:
            share = float(rng.uniform(share_lo, share_hi))
            terrain = {
                "wavelength_m": rng.uniform(0.03, 0.12, 3).tolist(),
                "phase": rng.uniform(0, 2 * np.pi, 3).tolist(),
                "weight": rng.dirichlet(np.ones(3)).tolist(),
            }
            group_params = {
                "share": share,
                "terrain": terrain,
                "terrain_pct": _u(rng, b.terrain_pct),
                "stroke_swing_pct": _u(rng, b.stroke_swing_pct),
                "stroke_length_m": _u(rng, b.stroke_length_m),
                "center_m": float(rng.uniform(-0.08, 0.08)),
                "lateral_m": float(rng.uniform(-0.05, 0.05)),
            }
            idle = _u(rng, b.idle_s) if not first else float(rng.uniform(2.0, 4.0))
            first = False
            yield Plan("idle", idle, group, group_params)
            yield Plan("lower", _u(rng, b.lower_s), group, group_params)
            direction = 1 if rng.random() < 0.5 else -1
            n_holds = int(rng.integers(b.holds_per_group[0], b.holds_per_group[1] + 1))
            offset_m = 0.0  # body travel from the spot where the person lowered on
            for _ in range(n_holds):
                strokes, offset_m = _strokes(
                    rng, b, _u(rng, b.roll_before_hold_s), direction, True, group_params["stroke_length_m"], offset_m
                )
                direction = -strokes[-1].direction
                yield Plan("roll", sum(s.move_s + s.pause_s for s in strokes), group, {**group_params, "strokes": strokes})
                yield Plan("hold", _hold_s(rng, b), group, {**group_params, **_hold_params(rng, b)})
            strokes, _ = _strokes(
                rng, b, float(rng.uniform(4.0, 15.0)), direction, False, group_params["stroke_length_m"], offset_m
            )
            yield Plan("roll", sum(s.move_s + s.pause_s for s in strokes), group, {**group_params, "strokes": strokes})
            yield Plan("lift", _u(rng, b.lift_s), group, group_params)


def _hold_params(rng: np.random.Generator, b: Behaviour) -> dict[str, Any]:
    return {
        "lean_in": _u(rng, b.lean_in_ratio),
        "lean_s": float(rng.uniform(0.3, 1.0)),
        "sway_pct": _u(rng, b.sway_pct),
        "sway_hz": _u(rng, b.sway_hz),
        "sway_travel_m": _u(rng, b.sway_travel_m),
        "sway_phase": float(rng.uniform(0, 2 * np.pi)),
        "tremor_pct": _u(rng, b.tremor_pct),
        "tremor_hz": _u(rng, b.tremor_hz),
        "creep_pct": _u(rng, b.creep_pct),
        "readjust_per_min": _u(rng, b.readjust_per_min),
        "readjust_travel_m": b.readjust_travel_m,
        "readjust_s": b.readjust_s,
    }

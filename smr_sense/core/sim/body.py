"""The person on the roller: body position, speed and contact force for one planned segment.

``x_m`` is the body's travel over the roller along the rolling direction (tissue position); the
roller's axle moves half as far (it rolls between floor and body), and turns at
omega = v / (2 r). Force is a share of body weight shaped by where the roller sits under the muscle
(a lever term and the muscle's contour), so it changes when the body moves and stays put when it
does not, as on a force plate. Holds add lean-in, creep, postural sway, tremor and small
re-adjustments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.core.sim.script import Plan, Stroke

G_N_PER_KG = 9.80665
BLEND_TAU_S = 0.25  # how fast force settles from one behaviour into the next


@dataclass
class BodyState:
    """What carries over from one segment to the next, so signals stay continuous."""

    x_m: float = 0.0
    lateral_m: float = 0.0
    force_n: float = 0.0


@dataclass(frozen=True)
class Motion:
    x_m: np.ndarray  # body travel along the rolling direction
    v_mps: np.ndarray  # its speed (signed)
    lateral_m: np.ndarray  # where the load sits across the plate
    force_n: np.ndarray  # total contact force


def smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def terrain(x_m: np.ndarray, params: dict) -> np.ndarray:
    """Relative force change from the muscle's contour under the roller (dimensionless)."""
    t = params["terrain"]
    out = np.zeros_like(x_m)
    for lam, phase, w in zip(t["wavelength_m"], t["phase"], t["weight"]):
        out += w * np.sin(2.0 * np.pi * x_m / lam + phase)
    return out * params["terrain_pct"] / 100.0


def rolling_force(x_m: np.ndarray, level_n: float, params: dict) -> np.ndarray:
    # Moving the roller along the body moves it relative to the body's centre of mass: by the lever
    # law the roller's share of the weight changes linearly with its position, so every pass swings
    # the force by stroke_swing_pct from one end of the stretch to the other. The stretch is centred
    # on the group's spot, so the mean stays the group's share.
    lever = params["stroke_swing_pct"] / 100.0 * (x_m - 2.0 * params["center_m"]) / params["stroke_length_m"]
    return level_n * (1.0 + lever + terrain(x_m, params))


def stroke_motion(t_s: np.ndarray, strokes: list[Stroke], x0_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Position and speed through a series of strokes: a half-cosine speed bump per pass, then stillness."""
    starts = np.cumsum([0.0] + [s.move_s + s.pause_s for s in strokes[:-1]])
    move = np.array([s.move_s for s in strokes])
    length = np.array([s.length_m * s.direction for s in strokes])
    x_start = x0_m + np.concatenate([[0.0], np.cumsum(length)[:-1]])
    idx = np.clip(np.searchsorted(starts, t_s, side="right") - 1, 0, len(strokes) - 1)
    tau = np.clip((t_s - starts[idx]) / move[idx], 0.0, 1.0)
    x = x_start[idx] + length[idx] * (1.0 - np.cos(np.pi * tau)) / 2.0
    moving = (t_s - starts[idx]) < move[idx]
    v = np.where(moving, length[idx] * np.pi / (2.0 * move[idx]) * np.sin(np.pi * tau), 0.0)
    return x, v


def _blend(force: np.ndarray, t_s: np.ndarray, start_force_n: float) -> np.ndarray:
    """Start from where the last segment left the force and settle into this one's model."""
    if force.size == 0:
        return force
    return force + (start_force_n - force[0]) * np.exp(-t_s / BLEND_TAU_S)


def synthesize(plan: Plan, t_s: np.ndarray, state: BodyState, body_mass_kg: float, rng: np.random.Generator) -> Motion:
    """Motion and force for ``plan`` at segment-relative times ``t_s``; updates ``state``."""
    p = plan.params
    n = t_s.size
    weight_n = body_mass_kg * G_N_PER_KG
    level_n = weight_n * p["share"]
    x = np.full(n, state.x_m)
    v = np.zeros(n)
    lateral = np.full(n, p["lateral_m"])

    if plan.kind == "idle":
        # Nobody on the roller: the next group starts near its own spot on the plate.
        x[:] = p["center_m"] * 2.0
        force = np.zeros(n)
    elif plan.kind == "lower":
        x[:] = p["center_m"] * 2.0
        force = rolling_force(x, level_n, p) * smoothstep(t_s / plan.duration_s)
    elif plan.kind == "lift":
        force = state.force_n * (1.0 - smoothstep(t_s / plan.duration_s))
    elif plan.kind == "roll":
        x, v = stroke_motion(t_s, p["strokes"], state.x_m)
        wander = 0.02 * np.sin(2 * np.pi * rng.uniform(0.03, 0.1) * t_s + rng.uniform(0, 2 * np.pi))
        force = _blend(rolling_force(x, level_n, p) * (1.0 + wander), t_s, state.force_n)
    elif plan.kind == "hold":
        x, v, force = _hold(plan, t_s, state, level_n, rng)
    else:  # pragma: no cover - plans come from script.routine
        raise ValueError(f"unknown plan kind {plan.kind}")

    # Breathing and small muscular noise, present whenever someone is on the roller.
    if plan.kind != "idle":
        force = force * (1.0 + rng.normal(0.0, 0.002, n))
    force = np.clip(force, 0.0, None)
    if n:
        state.x_m = float(x[-1])
        state.force_n = float(force[-1])
        state.lateral_m = float(lateral[-1])
    return Motion(x, v, lateral, force)


def _hold(plan: Plan, t_s: np.ndarray, state: BodyState, level_n: float, rng: np.random.Generator):
    p = plan.params
    n = t_s.size
    x_hold = state.x_m
    # Postural sway moves the body a few millimetres and the force a few per cent.
    sway = np.sin(2 * np.pi * p["sway_hz"] * t_s + p["sway_phase"])
    sway_x = p["sway_travel_m"] * sway
    x = np.full(n, x_hold)  # where the roller sits under the muscle, re-adjustments included
    v = p["sway_travel_m"] * 2 * np.pi * p["sway_hz"] * np.cos(2 * np.pi * p["sway_hz"] * t_s + p["sway_phase"])
    force_scale = np.ones(n)
    # Re-adjustments: a quick shift of under 1 cm, with a brief dip in force as the person unloads to move.
    n_readjust = rng.poisson(p["readjust_per_min"] * plan.duration_s / 60.0)
    for _ in range(int(n_readjust)):
        t0 = float(rng.uniform(1.5, max(plan.duration_s - 0.5, 1.6)))
        dur = float(rng.uniform(*p["readjust_s"]))
        travel = float(rng.uniform(*p["readjust_travel_m"])) * (1 if rng.random() < 0.5 else -1)
        u = (t_s - t0) / dur
        x = x + travel * smoothstep(u)
        inside = (u > 0) & (u < 1)
        v = v + np.where(inside, travel * 6.0 * u * (1.0 - u) / dur, 0.0)
        force_scale = force_scale - float(rng.uniform(0.02, 0.08)) * np.where(inside, np.sin(np.pi * u), 0.0)
    lean = 1.0 + (p["lean_in"] - 1.0) * smoothstep(t_s / p["lean_s"])
    creep = 1.0 + p["creep_pct"] / 100.0 * (t_s / 20.0)
    tremor = 1.0 + p["tremor_pct"] / 100.0 * np.sin(2 * np.pi * p["tremor_hz"] * t_s + rng.uniform(0, 2 * np.pi))
    sway_force = 1.0 + p["sway_pct"] / 100.0 * sway
    # Sway's effect on force is its own term (sway_pct): the spot under the roller does not change.
    base = rolling_force(x, level_n, p)
    force = base * lean * creep * tremor * sway_force * force_scale
    force = _blend(force, t_s, state.force_n)
    return x + sway_x, v, force

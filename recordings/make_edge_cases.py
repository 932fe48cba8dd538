"""Write the hand-made edge-case recordings (interchange CSV + truth) in this folder.

    python recordings/make_edge_cases.py

Each is a short, exactly timed script of behaviour on an imu roller (force + gyro), so a test can say
"the hold starts at 14.000 s" and mean it: the 20 s cap boundary (19 s and 25 s holds), a hold
that ends in a lift-off, long reversal pauses that must not count as holds, and a dropout.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RATE_HZ = 100.0
HERE = Path(__file__).parent
BODY_FORCE_N = 260.0  # about a third of an 80 kg person's weight


def _script(parts: list[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """Force (N) and roller rate (deg/s) for a list of (kind, seconds)."""
    rng = np.random.default_rng(len(parts))
    t_all, f_all, g_all, truth = [], [], [], []
    t0 = 0.0
    for kind, dur in parts:
        n = int(round(dur * RATE_HZ))
        t = t0 + np.arange(n) / RATE_HZ
        tau = t - t0
        if kind == "idle":
            f, g = np.zeros(n), np.zeros(n)
        elif kind == "lower":
            f, g = BODY_FORCE_N * np.clip(tau / dur, 0, 1), np.zeros(n)
        elif kind == "lift":
            f, g = BODY_FORCE_N * (1 - np.clip(tau / dur, 0, 1)), np.zeros(n)
        elif kind.startswith("roll"):
            pause = 0.6 if kind == "roll_long_pauses" else 0.2
            period = 2.0
            phase = np.mod(tau, period)
            moving = phase < period - pause
            direction = np.where(np.mod(tau // period, 2) == 0, 1.0, -1.0)
            g = np.where(moving, 60.0 * np.sin(np.pi * phase / (period - pause)), 0.0) * direction
            f = BODY_FORCE_N * (1 + 0.12 * np.sin(2 * np.pi * tau / (2 * period)))
        elif kind == "hold":
            f = BODY_FORCE_N * 1.2 * (1 + 0.02 * np.sin(2 * np.pi * 0.3 * tau))
            g = np.zeros(n)
        elif kind == "dropout":
            f, g = np.full(n, np.nan), np.full(n, np.nan)
        else:
            raise ValueError(kind)
        f = f + rng.normal(0, 0.3, n) * (f > 0)
        g = g + rng.normal(0, 0.08, n)
        t_all.append(t)
        f_all.append(f)
        g_all.append(g)
        label = {"lower": "transition", "lift": "transition", "roll_long_pauses": "rolling", "roll": "rolling"}.get(kind, kind)
        truth.append({"kind": label, "start_s": round(t0, 6), "end_s": round(t0 + n / RATE_HZ, 6), "group": "quads"})
        t0 += n / RATE_HZ
    return np.concatenate(t_all), np.concatenate(f_all), np.concatenate(g_all), truth


def write(name: str, parts: list[tuple[str, float]], drop_gap: bool = False) -> None:
    t, f, g, truth = _script(parts)
    keep = ~np.isnan(f) if drop_gap else np.ones(t.size, bool)
    truth = [s for s in truth if s["kind"] != "dropout"]
    path = HERE / f"{name}.csv"
    table = np.column_stack([t, f, np.zeros_like(g), g, np.zeros_like(g)])[keep]
    with open(path, "w") as fh:
        fh.write("# hand-made edge case: see recordings/make_edge_cases.py\n")
        fh.write("time_s,force_n,gyro_x_dps,gyro_y_dps,gyro_z_dps\n")
        np.savetxt(fh, table, fmt=["%.2f", "%.3f", "%.3f", "%.3f", "%.3f"], delimiter=",")
    (HERE / f"{name}.csv.truth.json").write_text(json.dumps({"source": "hand-made", "segments": truth}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    # A roll before a hold ends as a pass ends (1.8 s of motion, 0.2 s reversal pause, 2 s each): the
    # person stops on the spot instead of pausing, so the hold begins exactly when the motion stops.
    write("edge_hold_25s", [("idle", 3), ("lower", 1), ("roll", 9.8), ("hold", 25), ("roll", 6), ("lift", 1), ("idle", 3)])
    write("edge_hold_19s", [("idle", 3), ("lower", 1), ("roll", 9.8), ("hold", 19), ("roll", 6), ("lift", 1), ("idle", 3)])
    write("edge_long_pauses", [("idle", 3), ("lower", 1), ("roll_long_pauses", 40), ("lift", 1), ("idle", 3)])
    write("edge_hold_then_lift", [("idle", 3), ("lower", 1), ("roll", 7.8), ("hold", 12), ("lift", 1), ("idle", 4)])
    write("edge_dropout", [("idle", 3), ("lower", 1), ("roll", 7.8), ("hold", 8), ("dropout", 2), ("hold", 8), ("roll", 6), ("lift", 1), ("idle", 3)], drop_gap=True)

"""Hold-detection accuracy on a labelled, simulated corpus, per sensor build.

    python bench/bench_accuracy.py            # the corpus: 20 mixed sessions + 12 edge cases per build
    python bench/bench_accuracy.py --seed-base 9000   # another corpus of the same design (a held-out check)
    python bench/bench_accuracy.py --json     # figures as JSON

The corpus is deterministic (seeded). Every session is several minutes of the simulator's bottom-up
routine at 50-200 Hz with jitter and dropped samples; half the mixed sessions use the simulator's
hard ranges, and the edge cases push one hard case each to its limit: slow rolling, long reversal
pauses, strong sway, creep, re-adjustments, short and long holds, heavy losses, jitter, 50 and
200 Hz. Scoring follows ``smr_sense.core.scoring`` (start within 1.0 s, covers half). Targets:
F1 >= 0.97 gyro / 0.95 channels / 0.85 force; cap error p95 <= 0.5 / 0.75 / 1.0 s; no false caps.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from smr_sense.core.pipeline import SessionSettings, analyze_block
from smr_sense.core.scoring import Score, detected_holds, score, true_holds
from smr_sense.core.sim import Behaviour, SimConfig, simulate

BUILDS = ("imu", "channels", "force")
TARGETS = {"imu": (0.97, 0.5), "channels": (0.95, 0.75), "force": (0.85, 1.0)}
RATES_HZ = (50.0, 80.0, 100.0, 104.0, 119.0, 150.0, 200.0)
SESSION_S = 360.0
HARD = Behaviour().hard()

# One hard case each, pushed to the end of its range (the rest of the behaviour stays hard).
EDGE_CASES: dict[str, dict] = {
    "slow_rolling": {"behaviour": replace(HARD, cadence_per_min=(12.0, 16.0), stroke_length_m=(0.05, 0.09))},
    "long_reversal_pauses": {"behaviour": replace(HARD, reversal_pause_s=(0.4, 0.6), long_pause_share=0.8)},
    "strong_sway": {"behaviour": replace(HARD, sway_pct=(4.0, 5.0), sway_travel_m=(0.003, 0.004))},
    "creep": {"behaviour": replace(HARD, creep_pct=(-6.0, 6.0), lean_in_ratio=(1.0, 1.05))},
    "readjustments": {"behaviour": replace(HARD, readjust_per_min=(8.0, 12.0), readjust_travel_m=(0.006, 0.0095))},
    "short_holds": {"behaviour": replace(HARD, short_hold_share=0.7, long_hold_share=0.0)},
    "long_holds": {"behaviour": replace(HARD, short_hold_share=0.0, long_hold_share=0.8)},
    "heavy_losses": {"drop_rate": 0.03, "burst_per_min": 3.0, "hard": True},
    "jitter": {"jitter_s": 0.002, "hard": True},
    "rate_50hz": {"rate_hz": 50.0, "hard": True},
    "rate_200hz": {"rate_hz": 200.0, "hard": True},
    "gentle": {"hard": False, "rate_hz": 80.0},
}


def corpus(build: str, seed_base: int, n_mixed: int = 20):
    """(name, SimConfig) pairs: ``n_mixed`` mixed sessions, then the edge cases."""
    for i in range(n_mixed):
        seed = seed_base + i
        yield f"mixed-{i:02d}", SimConfig(
            seed=seed, build=build, rate_hz=RATES_HZ[i % len(RATES_HZ)], hard=i % 2 == 1,
            channels=4 if i % 4 else 2,
        )
    for k, (name, knobs) in enumerate(EDGE_CASES.items()):
        knobs = dict(knobs)
        rate = knobs.pop("rate_hz", RATES_HZ[k % len(RATES_HZ)])
        yield name, SimConfig(seed=seed_base + 500 + k, build=build, rate_hz=rate, **knobs)


def evaluate(build: str, seed_base: int, settings: SessionSettings, verbose: bool = False) -> tuple[Score, list]:
    total = Score()
    rows = []
    for name, config in corpus(build, seed_base):
        info, block, truth = simulate(config, SESSION_S)
        result = analyze_block(info, block, settings=settings)
        s = score(detected_holds(result.holds), true_holds(truth), cap_s=settings.hold_cap_s, stream_end_s=SESSION_S)
        rows.append((name, s))
        total = total.add(s)
        if verbose:
            print(f"  {build:8s} {name:22s} {config.rate_hz:5.0f} Hz  true {s.true_holds:2d}  det {s.detected:2d}  "
                  f"match {s.matched:2d}  F1 {s.f1:.3f}  start p95 {s.start_error_p95_s():.2f} s  "
                  f"false caps {s.false_caps}", file=sys.stderr)
    return total, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed-base", type=int, default=1000)
    ap.add_argument("--build", choices=BUILDS, action="append")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per session on stderr")
    args = ap.parse_args(argv)
    settings = SessionSettings()
    report = {}
    for build in args.build or BUILDS:
        total, rows = evaluate(build, args.seed_base, settings, args.verbose)
        f1_target, cap_target = TARGETS[build]
        report[build] = {
            **total.to_json(),
            "sessions": len(rows),
            "session_s": SESSION_S,
            "f1_target": f1_target,
            "cap_error_p95_target_s": cap_target,
            "meets_targets": total.f1 >= f1_target and total.cap_error_p95_s() <= cap_target and total.false_caps == 0,
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"hold detection accuracy: {SESSION_S / 60:.0f}-minute simulated sessions, seed base {args.seed_base}")
    print(f"{'build':9s}{'sessions':>9s}{'true':>6s}{'det':>6s}{'P':>7s}{'R':>7s}{'F1':>7s}"
          f"{'start med':>11s}{'start p95':>11s}{'shown med':>11s}{'cap p95':>9s}{'caps':>6s}{'missed':>8s}{'false':>7s}  target")
    for build, r in report.items():
        print(f"{build:9s}{r['sessions']:>9d}{r['true_holds']:>6d}{r['detected']:>6d}{r['precision']:>7.3f}"
              f"{r['recall']:>7.3f}{r['f1']:>7.3f}{r['start_error_median_s']:>10.2f}s{r['start_error_p95_s']:>10.2f}s"
              f"{r['announce_delay_median_s']:>10.2f}s{r['cap_error_p95_s']:>8.2f}s{r['true_caps']:>6d}{r['missed_caps']:>8d}{r['false_caps']:>7d}  "
              f"F1>={r['f1_target']}, cap<={r['cap_error_p95_target_s']}s: {'met' if r['meets_targets'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed of the offline and live paths (figures, not pass/fail).

    python bench/bench_speed.py            # writes its inputs to a temporary directory first

1. ``smr-sense analyze`` of a one-hour, 200 Hz recording with gyro (720,000 samples) in the
   project's recording format, wall clock including process start (target < 1 s);
2. the same session as interchange CSV (target < 3 s);
3. the live path: the pipeline fed a 1 kHz, 8-channel stream (plus gyro) in blocks as a source
   delivers them, CPU time per second of stream (target < 10 % of one core).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from smr_sense.core.pipeline import Pipeline
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.recording import RecordingWriter, export_csv, load_recording

SMR_SENSE = [sys.executable, "-m", "smr_sense"]


def make_recording(path: Path, duration_s: float = 3600.0, rate_hz: float = 200.0) -> int:
    roller = SimRoller(SimConfig(seed=11, build="imu", rate_hz=rate_hz, hard=True, drop_rate=0.0, burst_per_min=0.0))
    with RecordingWriter(path, roller.info, force=True) as writer:
        t = 0.0
        while t < duration_s:
            t = min(t + 60.0, duration_s)
            writer.append(roller.read_until(t))
        return writer.samples


def time_command(args: list[str], repeat: int = 3) -> tuple[float, str]:
    best = float("inf")
    out = ""
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.strip()}")
        out = proc.stdout
    return best, out


def live_cpu(rate_hz: float = 1000.0, channels: int = 8, block: int = 10, seconds: float = 60.0) -> tuple[float, float]:
    """CPU seconds per second of stream for the pipeline fed ``block`` samples at a time, and the
    slowest single call after the first (wall time: a spike there is a late alarm, however low the
    average; the first call sets up the filters once)."""
    roller = SimRoller(SimConfig(seed=5, build="imu", rate_hz=rate_hz, hard=True))
    src = roller.read_until(seconds)
    # Eight load cells around a plate: the imu build's one cell shared out, so forces stay physical.
    angles = np.linspace(0, 2 * np.pi, channels, endpoint=False)
    chans = tuple(Channel(f"cell{i}", "N", "load_cell", (0.2 * np.cos(a), 0.1 * np.sin(a))) for i, a in enumerate(angles))
    from smr_sense.core.calibration import forces_n

    force = forces_n(roller.info, src.raw)[:, :1]
    raw = np.repeat(force / channels, channels, axis=1) + np.random.default_rng(0).normal(0, 0.1, (len(src), channels))
    info = StreamInfo("bench", "bench-8", "bench roller", chans, rate_hz, has_gyro=True, roller_radius_m=0.06)
    data = SampleBlock.build(src.t_s, raw, src.gyro_dps)
    pipeline = Pipeline(info)
    blocks = [data.slice(i, min(i + block, len(data))) for i in range(0, len(data), block)]
    worst_s = 0.0
    start = time.process_time()
    for k, b in enumerate(blocks):
        t0 = time.perf_counter()
        pipeline.feed(b)
        _ = pipeline.status
        if k:
            worst_s = max(worst_s, time.perf_counter() - t0)
    used = time.process_time() - start
    return used / float(data.t_s[-1] - data.t_s[0]), worst_s


def live_force_cpu(rate_hz: float = 1000.0, seconds: float = 20.0) -> tuple[float, float]:
    """The same for a roller with one load cell (the force-fluctuation cue), one sample per call."""
    roller = SimRoller(SimConfig(seed=5, build="force", rate_hz=rate_hz, hard=True))
    data = roller.read_until(seconds)
    pipeline = Pipeline(roller.info)
    worst_s = 0.0
    start = time.process_time()
    for i in range(len(data)):
        t0 = time.perf_counter()
        pipeline.feed(data.slice(i, i + 1))
        _ = pipeline.status
        if i:
            worst_s = max(worst_s, time.perf_counter() - t0)
    return (time.process_time() - start) / float(data.t_s[-1] - data.t_s[0]), worst_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", metavar="DIR", help="write the inputs here and keep them")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="smr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rec = work / "hour.smr"
        csv = work / "hour.csv"
        if not rec.exists():
            n = make_recording(rec)
            export_csv(load_recording(rec), csv, force=True)
        else:
            n = len(load_recording(rec).block)
        size_mb = rec.stat().st_size / 1e6
        print(f"input: 1 h at 200 Hz with gyro, {n} samples ({size_mb:.1f} MB recording, {csv.stat().st_size / 1e6:.1f} MB CSV)")
        t_rec, out = time_command(SMR_SENSE + ["analyze", str(rec)])
        print(f"analyze recording (process start included, best of 3): {t_rec:.2f} s  ({3600 / t_rec:,.0f} x real time; target < 1 s)")
        print("  " + out.splitlines()[1].strip())
        t_csv, _ = time_command(SMR_SENSE + ["analyze", str(csv)])
        print(f"analyze interchange CSV (process start included, best of 3): {t_csv:.2f} s  (target < 3 s)")
        t_start, _ = time_command(SMR_SENSE + ["--version"])
        print(f"  of which process start and imports: {t_start:.2f} s")
        for block in (10, 1):
            cpu, worst_s = live_cpu(block=block, seconds=60.0 if block > 1 else 20.0)
            print(f"live path, 1 kHz x 8 channels + gyro, blocks of {block:>2}: {100 * cpu:.1f} % of one core "
                  f"(target < 10 %), slowest call {1000 * worst_s:.1f} ms")
        cpu, worst_s = live_force_cpu()
        print(f"live path, 1 kHz x 1 load cell, blocks of  1: {100 * cpu:.1f} % of one core, slowest call {1000 * worst_s:.1f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())

"""Latency from bytes written to a pseudo-terminal to the detector's event, through the real serial path.

    python bench/bench_latency.py                  # 300 s of stream fed 10x real time, imu build
    python bench/bench_latency.py --speed 1 --seconds 60    # real time, as a user's roller
    python bench/bench_latency.py --build force --json

The virtual roller (smr_sense.emulator) writes reference frames to a pty; the real serial source
(pyserial reader thread -> event loop -> DeviceStream decode) reads them; the pipeline
(smr_sense.core.pipeline) turns them into events. For every sample the bench knows when its frame
was written; an event's latency is the time from the write of the frame carrying the sample the
event is stamped at, to the moment ``pipeline.feed`` returned that event. Emulator, source and
pipeline share one process and event loop, so the figures include their contention (pessimistic
next to a roller that is a separate device). Target: event p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import numpy as np

from smr_sense.core.pipeline import Pipeline, SessionSettings
from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.emulator import PtyLink, PtyRoller, sim_virtual_roller
from smr_sense.sources import make_source

TICK_S = 0.005  # how often the emulator writes what is due: 5 ms, like a firmware's send loop
TARGET_P99_MS = 20.0


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"n": 0}
    a = np.asarray(ms)
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
    }


async def measure(seconds: float, speed: float, build: str, rate_hz: float, seed: int) -> dict:
    roller = sim_virtual_roller(build=build, seed=seed, rate_hz=rate_hz)
    emulator = PtyRoller(roller, PtyLink(), max_pending_bytes=1 << 24)
    emulator.start()
    written_at: dict[int, float] = {}  # device t_us -> perf_counter when its frame was written
    total = int(seconds * rate_hz)
    done = asyncio.Event()

    async def device() -> None:
        await emulator.streaming.wait()
        loop = asyncio.get_running_loop()
        begun = loop.time()
        sent = 0
        while sent < total:
            due = min(total, int((loop.time() - begun) * rate_hz * speed)) - sent
            if due > 0:
                emulator.emit(due)
                now = time.perf_counter()
                for t_us in roller.sent.t_us[-1].tolist():
                    written_at[t_us] = now
                sent += due
            await asyncio.sleep(TICK_S)
        await done.wait()

    source = make_source(f"serial:{emulator.link.slave_path}")
    info = await source.open()
    pipeline = Pipeline(info, SessionSettings())
    device_task = asyncio.create_task(device())
    to_block: list[float] = []
    to_output: list[float] = []
    to_event: list[tuple[str, float]] = []
    received = 0
    try:
        async with asyncio.timeout(seconds / speed + 60):
            async for item in source:
                if isinstance(item, Marker):
                    pipeline.mark(item)
                    continue
                assert isinstance(item, SampleBlock)
                arrived = time.perf_counter()
                out = pipeline.feed(item)
                processed = time.perf_counter()
                keys = np.rint(item.t_s * 1e6).astype(np.int64).tolist()
                for key in keys:
                    w = written_at[key]
                    to_block.append((arrived - w) * 1e3)
                    to_output.append((processed - w) * 1e3)
                for event in out.events:
                    # announced on the first sample at or after its stamp (a cap's stamp is start + 20 s)
                    i = min(int(np.searchsorted(item.t_s, event.t_s - 1e-7)), len(keys) - 1)
                    to_event.append((event.kind, (processed - written_at[keys[i]]) * 1e3))
                received += len(item)
                if received >= total:
                    break
    finally:
        done.set()
        await source.close()
        await device_task
        emulator.close()
    return {
        "stream_s": seconds,
        "speed": speed,
        "build": build,
        "rate_hz": rate_hz,
        "samples": received,
        "lost": source.stats.lost,
        "bytes_to_sample_block_ms": percentiles(to_block),
        "bytes_to_detector_output_ms": percentiles(to_output),
        "bytes_to_event_ms": percentiles([ms for _, ms in to_event]),
        "events": sorted({k for k, _ in to_event}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="stream time to send (default 300 s)")
    parser.add_argument("--speed", type=float, default=10.0, help="times real time (default 10)")
    parser.add_argument("--build", default="imu", choices=("imu", "force", "channels"))
    parser.add_argument("--rate", type=float, default=100.0, help="sample rate, Hz (default 100)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.seconds, args.speed, args.build, args.rate, args.seed))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0

    def line(name: str, p: dict) -> str:
        if not p.get("n"):
            return f"  {name:<34} none"
        return f"  {name:<34} n={p['n']:<6} p50 {p['p50']:6.2f} ms  p99 {p['p99']:6.2f} ms  max {p['max']:6.2f} ms"

    print(
        f"serial over a pty, {result['build']} build at {result['rate_hz']:g} Hz, "
        f"{result['stream_s']:g} s of stream at {result['speed']:g}x real time "
        f"({result['samples']} samples, {result['lost']} lost)"
    )
    print(line("bytes written -> SampleBlock", result["bytes_to_sample_block_ms"]))
    print(line("bytes written -> detector output", result["bytes_to_detector_output_ms"]))
    print(line("bytes written -> detector event", result["bytes_to_event_ms"]))
    print(f"  events seen: {', '.join(result['events'])}")
    p99 = result["bytes_to_event_ms"].get("p99")
    verdict = "no events" if p99 is None else ("met" if p99 < TARGET_P99_MS else "NOT met")
    print(f"  target event p99 < {TARGET_P99_MS:g} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

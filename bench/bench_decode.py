"""Decoding speed of the wire decoders, in frames (samples) per second.

    python bench/bench_decode.py [--frames 200000] [--chunk 4096]

Target: the reference decoder >= 100,000 frames/s (a hundred 1 kHz rollers). Chunks mimic what a
serial read or a burst of BLE notifications hands the decoder.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from smr_sense.core.wire import (
    ReferenceDecoder,
    TextLineDecoder,
    TindeqDecoder,
    encode_frames,
    encode_tindeq_weights,
)


def rate(decoder, data: bytes, chunk: int) -> tuple[float, int]:
    start = time.perf_counter()
    samples = 0
    for i in range(0, len(data), chunk):
        for item in decoder.feed(data[i : i + chunk]):
            samples += len(getattr(item, "t_s", ()))
    return time.perf_counter() - start, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per feed() call")
    args = parser.parse_args()
    n = args.frames
    rng = np.random.default_rng(1)
    t_us = np.arange(n, dtype=np.int64) * 1000
    cases = {
        "reference 1 ch": (ReferenceDecoder, encode_frames(0, t_us, rng.integers(0, 1 << 23, (n, 1)))),
        "reference 4 ch + gyro + accel": (
            ReferenceDecoder,
            encode_frames(0, t_us, rng.integers(0, 1 << 23, (n, 4)), rng.normal(0, 50, (n, 3)), rng.normal(0, 1, (n, 3))),
        ),
        "tindeq (15 samples per message)": (
            TindeqDecoder,
            b"".join(encode_tindeq_weights(rng.normal(20, 5, 15), t_us[i : i + 15]) for i in range(0, n // 10, 15)),
        ),
        "text plotter lines": (
            lambda: TextLineDecoder(rate_hz=1000.0),
            "".join(f"load:{v},fsr:{v + 1}\n" for v in range(n // 10)).encode(),
        ),
    }
    for name, (make, data) in cases.items():
        seconds, samples = rate(make(), data, args.chunk)
        print(f"{name:34s} {samples / seconds:12,.0f} frames/s  ({samples} frames, {len(data):,} bytes, {seconds:.3f} s)")


if __name__ == "__main__":
    main()

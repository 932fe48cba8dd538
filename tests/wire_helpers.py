"""Helpers shared by the wire tests: canonical forms of decoder output, for comparing runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from smr_sense.core.samples import SampleBlock


def canonical(items: list[Any]) -> list[Any]:
    """Items with consecutive same-layout sample blocks merged, so chunkings can be compared."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, SampleBlock):
            if len(item) == 0:
                continue
            key = (item.n_channels, item.gyro_dps is not None, item.accel_g is not None)
            if out and isinstance(out[-1], tuple) and out[-1][0] == "block" and out[-1][1] == key:
                out[-1][2].append(item)
            else:
                out.append(("block", key, [item]))
        else:
            out.append(item)
    result = []
    for entry in out:
        if isinstance(entry, tuple) and entry[0] == "block":
            block = SampleBlock.concat(entry[2])
            result.append(("block", entry[1], _bytes(block)))
        else:
            result.append(entry)
    return result


def _bytes(block: SampleBlock) -> tuple[bytes, ...]:
    def b(a: np.ndarray | None) -> bytes:
        return b"" if a is None else a.tobytes()

    return (b(block.t_s), b(block.raw), b(block.gyro_dps), b(block.accel_g))


def feed_chunks(decoder: Any, data: bytes, cuts: list[int]) -> list[Any]:
    items: list[Any] = []
    start = 0
    for cut in sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]:
        items.extend(decoder.feed(data[start:cut]))
        start = cut
    return items


def samples_of(items: list[Any]) -> SampleBlock:
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    return SampleBlock.concat(blocks)

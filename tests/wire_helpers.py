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


# --- the shared test vectors (firmware_notes/test_vectors.txt), read by the Python and C tests ---

VECTORS_PATH = __import__("pathlib").Path(__file__).resolve().parent.parent / "firmware_notes" / "test_vectors.txt"


def read_vectors(path=VECTORS_PATH) -> list[tuple[str, dict[str, str]]]:
    """(kind, fields) per vector line, in file order."""
    out = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, *pairs = line.split()
        out.append((kind, dict(p.split("=", 1) for p in pairs)))
    return out


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def check_decodes_to_fields(kind: str, fields: dict[str, str], data: bytes) -> None:
    """Decode ``data`` with the Python decoder and assert it carries exactly the vector's fields."""
    import math

    from smr_sense.core.wire import Command, CommandReply, DeviceInfo, ReferenceDecoder

    dec = ReferenceDecoder()
    items = dec.feed(data)
    assert dec.stats.corrupt == 0 and dec.stats.bytes_discarded == 0 and dec.buffered == 0, fields["name"]
    (item,) = items
    if kind == "samples":
        assert isinstance(item, SampleBlock) and len(item) == 1
        assert item.raw[0].tolist() == np.float32(floats(fields["values"])).tolist()
        assert item.t_s[0] == int(fields["t_us"]) / 1e6
        for key, attr, lsb in (("gyro", "gyro_dps", 1 / 16), ("accel", "accel_g", 1 / 4096)):
            got = getattr(item, attr)
            if key not in fields:
                assert got is None
                continue
            want = np.clip(floats(fields[key]), -32768 * lsb, 32767 * lsb)
            np.testing.assert_allclose(got[0], want, atol=lsb / 2 + 1e-9)
    elif kind == "info":
        assert isinstance(item, DeviceInfo)
        assert (item.device_id, item.device_name, item.firmware) == (fields["id"], fields["devname"], fields["firmware"])
        assert item.rate_hz == float(fields["rate_hz"])
        radius = float(fields["radius_m"])
        assert item.roller_radius_m == (None if math.isnan(radius) else radius)
        assert (item.has_gyro, item.has_accel) == (fields["gyro"] == "1", fields["accel"] == "1")
        want = []
        for spec in fields["channels"].split("|"):
            name, sensor, unit, x, y = spec.split(":")
            pos = None if math.isnan(float(x)) else (float(x), float(y))
            want.append((name, sensor, unit, pos))
        assert [(c.name, c.sensor, c.unit, c.position_m) for c in item.channels] == want
    elif kind == "command":
        rate = float(fields["rate_hz"]) if "rate_hz" in fields else None
        assert item == Command(fields["command"], int(fields["token"]), rate)
    elif kind == "reply":
        value = float(fields["value"]) if "value" in fields else None
        assert item == CommandReply(fields["command"], int(fields["token"]), fields["status"], value)
    else:
        raise AssertionError(f"no field check for {kind}")


def check_streams(vectors: list[tuple[str, dict[str, str]]], frame_bytes: dict[str, bytes]) -> int:
    """Decode each stream's frames together; check unwrapped times and counts. Returns streams checked."""
    from smr_sense.core.wire import ReferenceDecoder

    checked = 0
    for kind, fields in vectors:
        if kind != "stream":
            continue
        members = [f for k, f in vectors if k == "samples" and f.get("stream") == fields["name"]]
        dec = ReferenceDecoder()
        block = samples_of(dec.feed(b"".join(frame_bytes[m["name"]] for m in members)))
        np.testing.assert_allclose(block.t_s, [float(m["t_s"]) for m in members], rtol=0, atol=1e-9)
        assert dec.stats.frames == int(fields["frames"])
        assert dec.stats.lost == int(fields["lost"])
        assert dec.stats.time_resets == int(fields["time_resets"])
        checked += 1
    return checked

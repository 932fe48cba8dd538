"""Recordings: self-describing, bit-identical round trip, crash-safe, never overwritten by accident."""

import json

import numpy as np
import pytest

from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.errors import FileFormatError
from smr_sense.recording import RecordingExistsError, RecordingWriter, load_any, load_recording
from smr_sense.recording import format as fmt


def _write(path, build="imu", blocks=20, size=97, flush_interval_s=0.0, close=True, seed=2):
    roller = SimRoller(SimConfig(seed=seed, build=build))
    written = []
    w = RecordingWriter(path, roller.info, flush_interval_s=flush_interval_s)
    for i in range(blocks):
        b = roller.read(size)
        b = b.with_host_time(1.7e9 + b.t_s + 0.003)
        written.append(b)
        w.append(b)
        if i == 3:
            w.mark(Marker(float(b.t_s[-1]), "muscle_group", {"group": "calves"}))
    if close:
        w.close()
    else:
        w.flush()
    return roller.info, SampleBlock.concat(written)


@pytest.mark.parametrize("build", ["imu", "force", "channels"])
def test_round_trip_is_bit_identical(tmp_path, build):
    info, live = _write(tmp_path / "s.smr", build=build)
    rec = load_recording(tmp_path / "s.smr")
    assert rec.info == info
    assert rec.block.identical(live, host_time=True)
    assert rec.warnings == []
    assert [m.kind for m in rec.markers] == ["muscle_group"]


def test_header_describes_the_stream(tmp_path):
    info, _ = _write(tmp_path / "s.smr", build="channels")
    rec = load_recording(tmp_path / "s.smr")
    h = rec.header
    assert h["schema"] == "smr-sense-recording" and h["schema_version"] == 1
    assert h["stream"]["rate_hz"] == info.rate_hz
    assert [c["name"] for c in h["stream"]["channels"]] == [c.name for c in info.channels]
    assert h["stream"]["calibration"]["channels"][0]["model"] == "linear"
    assert "created_utc" in h and h["stream"]["firmware"] == "sim-1"


def test_a_torn_tail_replays_everything_before_it_with_a_warning(tmp_path):
    path = tmp_path / "s.smr"
    _, live = _write(path, close=False)
    data = path.read_bytes()
    path.write_bytes(data[:-37])  # the last chunk was cut off mid-write
    rec = load_any(path)
    assert len(rec.block) == len(live) - 97
    assert rec.block.identical(live.slice(0, len(live) - 97), host_time=True)
    assert any("cut off" in w for w in rec.warnings)


def test_an_unclosed_recording_loads_with_a_warning(tmp_path):
    path = tmp_path / "s.smr"
    _, live = _write(path, close=False)
    rec = load_any(path)
    assert rec.block.identical(live, host_time=True)
    assert any("not closed cleanly" in w for w in rec.warnings)


def test_flushes_reach_the_file_before_close(tmp_path):
    path = tmp_path / "s.smr"
    roller = SimRoller(SimConfig(seed=1))
    w = RecordingWriter(path, roller.info, flush_interval_s=0.0)
    w.append(roller.read(50))
    # Another process reading now (as after a SIGKILL) sees the samples.
    assert len(load_recording(path).block) == 50
    w.close()


def test_never_overwrites_without_force(tmp_path):
    path = tmp_path / "s.smr"
    _write(path)
    before = path.read_bytes()
    roller = SimRoller(SimConfig(seed=1))
    with pytest.raises(RecordingExistsError, match="already exists; use --force"):
        RecordingWriter(path, roller.info)
    assert path.read_bytes() == before
    RecordingWriter(path, roller.info, force=True).close()
    assert path.read_bytes() != before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"PK\x03\x04 a zip file really", "time_s"),
        (b"\x89PNG\r\n\x1a\n....", "neither an smr-sense recording nor a CSV"),
        (fmt.MAGIC + b"\x05\x00", "cut off inside its header"),
    ],
)
def test_bad_files_get_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.smr"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message) as err:
        load_any(path)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match="does not exist"):
        load_any(tmp_path / "nope.smr")


def _rewrite_header(path, change):
    data = path.read_bytes()
    n = int.from_bytes(data[8:12], "little")
    header = json.loads(data[12 : 12 + n])
    change(header)
    body = json.dumps(header).encode()
    import zlib

    path.write_bytes(fmt.MAGIC + len(body).to_bytes(4, "little") + body + zlib.crc32(body).to_bytes(4, "little") + data[16 + n :])


def test_other_schema_version_is_refused(tmp_path):
    path = tmp_path / "s.smr"
    _write(path)
    _rewrite_header(path, lambda h: h.update(schema_version=2))
    with pytest.raises(FileFormatError, match="schema version 2; this smr-sense reads version 1"):
        load_any(path)


def test_foreign_schema_is_refused(tmp_path):
    path = tmp_path / "s.smr"
    _write(path)
    _rewrite_header(path, lambda h: h.update(schema="someone-elses"))
    with pytest.raises(FileFormatError, match="another schema"):
        load_any(path)


def test_corrupt_header_is_refused(tmp_path):
    path = tmp_path / "s.smr"
    _write(path)
    data = bytearray(path.read_bytes())
    data[20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="corrupt header"):
        load_any(path)


def test_corruption_mid_file_keeps_what_came_before(tmp_path):
    path = tmp_path / "s.smr"
    _, live = _write(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert 0 < len(rec.block) < len(live)
    assert rec.block.identical(live.slice(0, len(rec.block)), host_time=True)
    assert rec.warnings

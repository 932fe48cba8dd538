"""Recordings: self-describing, bit-identical round trip, crash-safe, never overwritten by accident."""

import json
import os
import threading

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
    assert any("not closed cleanly; reading the " in w and " samples it holds" in w for w in rec.warnings)


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
        (b"PK\x03\x04 a zip file really", "is not an smr-sense recording"),
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


def _chunk_offset(data, block, info):
    """Where the chunk holding exactly ``block`` starts in a recording's bytes."""
    chunk = fmt.encode_samples(block, fmt.row_dtype(info))
    at = data.find(chunk)
    assert at > 0
    return at, len(chunk)


def _without(live, start, stop):
    return SampleBlock.concat([live.slice(0, start), live.slice(stop, len(live))])


def test_damage_mid_file_skips_only_the_damaged_chunk_and_keeps_everything_after_it(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path)  # 20 chunks of 97 samples and a clean end
    data = bytearray(path.read_bytes())
    at, size = _chunk_offset(data, live.slice(970, 1067), info)
    data[at + size // 2] ^= 0x55  # one flipped byte in the 11th chunk's samples
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert rec.block.identical(_without(live, 970, 1067), host_time=True)
    assert [m.kind for m in rec.markers] == ["muscle_group"]
    t = live.t_s
    assert rec.warnings == [
        f"{path}: bytes {at} to {at + size} are damaged (checksum mismatch) and were skipped, losing 97 samples "
        f"between t = {t[969]:.2f} s and {t[1067]:.2f} s; keeping the other {len(live) - 97} samples"
    ]


def test_the_testers_repro_400_flipped_bytes_across_a_chunk_boundary(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path)
    data = bytearray(path.read_bytes())
    at, size = _chunk_offset(data, live.slice(970, 1067), info)
    for i in range(at + size - 200, at + size + 200):  # the end of one chunk and the head of the next
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert rec.block.identical(_without(live, 970, 1164), host_time=True)
    assert len(rec.warnings) == 1 and "losing 194 samples between t = " in rec.warnings[0]
    assert "cut off" not in rec.warnings[0]


def test_a_damaged_length_field_mid_file_is_damage_not_a_torn_tail(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path)
    data = bytearray(path.read_bytes())
    at, _ = _chunk_offset(data, live.slice(485, 582), info)
    data[at + 4] ^= 0x40  # the length now points far past the end of the file
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert rec.block.identical(_without(live, 485, 582), host_time=True)
    assert len(rec.warnings) == 1 and "damaged (checksum mismatch)" in rec.warnings[0]


def test_damage_in_the_first_chunk_names_the_time_it_ends(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path)
    data = bytearray(path.read_bytes())
    at, size = _chunk_offset(data, live.slice(0, 97), info)
    data[at + 20] ^= 0x01
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert rec.block.identical(live.slice(97, len(live)), host_time=True)
    assert f"losing 97 samples before t = {live.t_s[97]:.2f} s" in rec.warnings[0]


def test_many_damaged_stretches_are_one_warning(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path)
    data = bytearray(path.read_bytes())
    for k in (2, 5, 8, 11, 14):
        at, _ = _chunk_offset(data, live.slice(97 * k, 97 * (k + 1)), info)
        data[at + 30] ^= 0x10
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert len(rec.block) == len(live) - 5 * 97
    assert len(rec.warnings) == 1
    assert rec.warnings[0].startswith(f"{path}: 5 damaged stretches (")
    assert f"keeping the other {len(live) - 5 * 97} samples" in rec.warnings[0]


def test_damage_that_leaves_no_sample_is_refused_in_one_sentence(tmp_path):
    path = tmp_path / "s.smr"
    roller = SimRoller(SimConfig(seed=2))
    with RecordingWriter(path, roller.info) as w:
        w.append(roller.read(90))  # one chunk (at most a second at 100 Hz) holds every sample
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="is damaged: bytes .* fail their checksums and no intact samples"):
        load_any(path)


def test_a_stream_faster_than_real_time_is_chunked_by_stream_time(tmp_path):
    # Two minutes handed over at once (a replay or the simulator at full speed) went into one
    # chunk, so 3 kB of damage lost the whole two minutes; chunks hold at most a second.
    path = tmp_path / "s.smr"
    roller = SimRoller(SimConfig(seed=2, rate_hz=100.0, drop_rate=0.0, burst_per_min=0.0))
    live = roller.read(12_000)
    with RecordingWriter(path, roller.info) as w:
        w.append(live)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 3000] = bytes(3000)
    path.write_bytes(bytes(data))
    rec = load_any(path)
    lost = len(live) - len(rec.block)
    assert 0 < lost <= 200  # 3 kB spans at most two chunks of 100 samples
    assert rec.block.t_s[-1] == live.t_s[-1]


def test_a_torn_tail_keeps_its_message(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path, close=False)
    data = path.read_bytes()
    _, size = _chunk_offset(data, live.slice(len(live) - 97, len(live)), info)
    path.write_bytes(data[:-37])
    rec = load_any(path)
    assert rec.warnings == [
        f"{path} ends part-way through a chunk (the recorder stopped mid-write, or the file was cut off); "
        f"its last {size - 37} bytes cannot be read; reading the {len(live) - 97} samples before them"
    ]


def test_a_damaged_last_chunk_is_called_damaged_not_cut_off(tmp_path):
    path = tmp_path / "s.smr"
    info, live = _write(path, close=False)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x08  # the last chunk is all there, but fails its checksum
    path.write_bytes(bytes(data))
    rec = load_any(path)
    assert rec.block.identical(live.slice(0, len(live) - 97), host_time=True)
    assert len(rec.warnings) == 1 and "damaged (they fail their checksum)" in rec.warnings[0]


@pytest.mark.parametrize("name", ["imu_routine", "force_hard_50hz", "channels2_hard"])
def test_the_shipped_recordings_still_load_without_warnings(name):
    from pathlib import Path

    rec = load_any(Path(__file__).parent.parent / "recordings" / f"{name}.smr")
    assert len(rec.block) > 10000 and rec.warnings == []


def _write_values(path, build, raw_change):
    roller = SimRoller(SimConfig(seed=4, build=build))
    block = roller.read(300)
    raw = block.raw.copy()
    raw_change(raw)
    with RecordingWriter(path, roller.info) as w:
        w.append(SampleBlock(block.t_s, raw, block.gyro_dps, block.accel_g, block.host_t_s))
    return roller.info


def test_a_recording_with_one_dead_channel_loads_and_names_it(tmp_path):
    path = tmp_path / "s.smr"
    info = _write_values(path, "channels", lambda raw: raw.__setitem__((slice(None), 1), np.nan))
    rec = load_any(path)
    assert rec.warnings == [f"{path}: channel '{info.channels[1].name}' has no usable value in the whole recording, "
                            "so it reads as zero"]


def test_a_recording_with_no_usable_force_at_all_is_refused(tmp_path):
    path = tmp_path / "s.smr"
    _write_values(path, "force", lambda raw: raw.__setitem__(slice(None), np.inf))
    with pytest.raises(FileFormatError, match="holds 300 samples but no usable force value on any channel"):
        load_any(path)


def _shipped_sim_recordings():
    """(file, arguments) for every simulated recording, from the 'made with' column of recordings/README.md."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "recordings"
    rows = re.findall(r"^\| (\S+\.smr) \|.*`smr-sense (sim [^`]+)` \|$", (folder / "README.md").read_text(), re.M)
    return folder, rows


def test_every_shipped_simulated_recording_is_what_its_readme_command_makes(tmp_path):
    """The README promises the files can be made again bit for bit: make them and compare."""
    import dataclasses
    import shlex

    from smr_sense.cli import main

    folder, rows = _shipped_sim_recordings()
    assert len(rows) == 6
    for name, command in rows:
        args = shlex.split(command)
        args[args.index("--out") + 1] = str(tmp_path / name)
        assert main(args) == 0
        shipped, made = load_recording(folder / name), load_recording(tmp_path / name)
        assert shipped.info == made.info, name
        for field in dataclasses.fields(shipped.block):
            a, b = getattr(shipped.block, field.name), getattr(made.block, field.name)
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b, equal_nan=True), (name, field.name)
        assert [(m.t_s, m.kind, m.data) for m in shipped.markers] == [(m.t_s, m.kind, m.data) for m in made.markers]
        truth = json.loads((folder / f"{name}.truth.json").read_text())
        assert truth == json.loads((tmp_path / f"{name}.truth.json").read_text()), name


def test_a_device_is_refused_rather_than_read_forever():
    # /dev/zero never ends: reading it whole would hang `analyze` and fill memory.
    with pytest.raises(FileFormatError, match=r"^/dev/zero is a device, not a recording or a CSV file$"):
        load_any("/dev/zero")


def test_a_pipe_is_read_to_its_end(tmp_path):
    # `smr-sense analyze <(zcat x.csv.gz)` hands over a pipe: it is read like a file, until its writer closes.
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    text = "time_s,force_n\n" + "".join(f"{i / 100:.2f},{5.0 + (i % 7)}\n" for i in range(300))
    writer = threading.Thread(target=lambda: fifo.write_text(text))
    writer.start()
    rec = load_any(fifo)
    writer.join(timeout=10)
    assert len(rec.block) == 300 and rec.block.t_s[-1] == pytest.approx(2.99)

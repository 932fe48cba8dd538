"""A recording damaged in its header (signature, length, JSON, checksum): what is kept and what is said.

The samples after a damaged header pass their own checksums: they are never lost to it. What the
header says is used only as far as it can be proven: a header that passes its checksum (found by it
when the length is wrong), or one set right from it (one flipped bit), is used whole; one that fails
it gives only what the samples confirm, and never its calibration.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from smr_sense.core.samples import Marker
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.errors import FileFormatError
from smr_sense.recording import RecordingWriter, load_any
from smr_sense.recording import format as fmt

SHIPPED = Path(__file__).resolve().parent.parent / "recordings"
BODY = 12  # the header's JSON starts after the 8-byte signature and the u32 length


def _small(path: Path, build: str = "imu", extra: dict | None = None) -> bytes:
    """A short recording as the app writes one (a few chunks and a marker): cheap to damage a thousand times."""
    roller = SimRoller(SimConfig(seed=5, build=build))
    with RecordingWriter(path, roller.info, flush_interval_s=0.0, extra=extra) as w:
        for i in range(4):
            w.append(roller.read(60))
            if i == 1:
                w.mark(Marker(float(w.last_t_s), "muscle_group", {"group": "calves"}))
    return path.read_bytes()


def _json_len(data: bytes) -> int:
    return int.from_bytes(data[8:12], "little")


def _damaged(path: Path, data: bytes, changes: dict[int, int]) -> Path:
    """``data`` with the byte at each offset XORed with its value, written to ``path``."""
    d = bytearray(data)
    for at, x in changes.items():
        d[at] ^= x
    path.write_bytes(bytes(d))
    return path


def _same_samples(rec, intact) -> bool:
    return rec.block.identical(intact.block, host_time=True) and [m.kind for m in rec.markers] == [
        m.kind for m in intact.markers
    ]


def _sample_chunks(data: bytes) -> int:
    """How many sample chunks an intact recording holds, counted along its chunks (tag, u32 length, payload, CRC)."""
    pos, count = BODY + _json_len(data) + 4, 0
    while pos < len(data):
        count += data[pos : pos + 1] == fmt.TAG_DATA
        pos += 5 + int.from_bytes(data[pos + 1 : pos + 5], "little") + 4
    return count


def _restore(tmp_path: Path, data: bytes) -> Path:
    intact = tmp_path / "intact.smr"
    intact.write_bytes(data)
    return intact


def _copy(name: str, tmp_path: Path) -> tuple[Path, bytes]:
    data = (SHIPPED / name).read_bytes()
    return tmp_path / name, data


def _read_damaged(name: str, tmp_path: Path, changes: dict[int, int]):
    """The shipped recording ``name`` damaged by ``changes`` (see ``_damaged``) and read back, with
    its path and the intact recording to compare it with."""
    path, data = _copy(name, tmp_path)
    return path, load_any(_damaged(path, data, changes)), load_any(SHIPPED / name)


# The length field ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["imu_routine.smr", "channels2_hard.smr"])
@pytest.mark.parametrize("at", [8, 9, 10, 11])
@pytest.mark.parametrize("x", [0x01, 0x40, 0xFF])
def test_a_damaged_length_is_repaired_from_the_checksum_and_nothing_is_lost(tmp_path, name, at, x):
    path, rec, intact = _read_damaged(name, tmp_path, {at: x})
    assert _same_samples(rec, intact)
    assert rec.info == intact.info and rec.header == intact.header  # the calibration too: it checks out
    assert rec.warnings == [
        f"{path}: its header's length (bytes 8 to 12) is damaged; the header was found whole by its checksum "
        "and repaired, so nothing is lost"
    ]


def test_a_length_pointing_inside_the_json_is_repaired_too(tmp_path):
    # Shorter than the JSON: what it points at fails the checksum, which matches only at the real end.
    path = tmp_path / "s.smr"
    data = _small(path)
    d = bytearray(data)
    d[8:12] = (_json_len(data) // 2).to_bytes(4, "little")
    path.write_bytes(bytes(d))
    rec = load_any(path)
    assert _same_samples(rec, load_any(_restore(tmp_path, data)))
    assert rec.info.calibration is not None and len(rec.warnings) == 1 and "found whole by its checksum" in rec.warnings[0]


# One flipped bit: set right, exactly ------------------------------------------------------------


def test_one_flipped_bit_anywhere_in_the_header_is_set_right_exactly(tmp_path):
    data = _small(tmp_path / "s.smr")
    intact = load_any(_restore(tmp_path, data))
    n = _json_len(data)
    path = tmp_path / "d.smr"
    for at in range(BODY, BODY + n + 4):  # the JSON and its stored checksum, one bit in each byte
        rec = load_any(_damaged(path, data, {at: 1 << (at % 8)}))
        assert _same_samples(rec, intact) and rec.info == intact.info and rec.header == intact.header, at
        where = "its header's checksum" if at >= BODY + n else "its header"
        assert len(rec.warnings) == 1 and rec.warnings[0].startswith(f"{path}: one bit of {where} (byte {at}) is flipped; "), at


def test_a_flipped_bit_in_a_calibration_digit_gives_back_the_recorded_calibration(tmp_path):
    path, data = _copy("imu_routine.smr", tmp_path)
    at = data.index(b'"n_per_count":') + len(b'"n_per_count":0.00')  # a significant digit of the calibration
    assert data[at : at + 1].isdigit()
    rec = load_any(_damaged(path, data, {at: 0x04}))  # '2' -> '6': still a number, a wrong one
    assert rec.info.calibration == load_any(SHIPPED / "imu_routine.smr").info.calibration
    assert rec.warnings == [
        f"{path}: one bit of its header (byte {at}) is flipped; the header's checksum pinpoints it, so it was set "
        "right and nothing is lost"
    ]


# A JSON that fails its checksum: the samples, never its numbers -----------------------------------


def _untrusted_warning(path, rec, intact_data, rate="100 Hz"):
    end = BODY + _json_len(intact_data) + 4
    return (
        f"{path}: its header fails its checksum (damage in bytes 12 to {end}), so only what the samples confirm "
        f"is used: their columns and rate ({rate}); its calibration, sensor positions, roller radius, session "
        "settings (hold cap, ceiling, body weight) and date are left out, as one damaged digit in them would be a "
        f"wrong answer; the {len(rec.block)} samples are read as if no calibration had been recorded (raw counts): "
        "give one with --calibration FILE, or --calibration profile for the device's saved one"
    )


def test_any_damaged_byte_in_the_json_keeps_every_sample_and_no_number_of_the_header(tmp_path):
    data = _small(tmp_path / "s.smr", extra={"hold_cap_s": 30.0, "body_mass_kg": 70.0})
    intact = load_any(_restore(tmp_path, data))
    assert intact.info.calibration and intact.info.extra and intact.header["extra"]["hold_cap_s"] == 30.0
    n = _json_len(data)
    path = tmp_path / "d.smr"
    rng = random.Random(7)
    for at in range(BODY, BODY + n + 4):
        x = 0xFF if at % 2 else rng.choice([v for v in range(1, 256) if v & (v - 1)])  # never a single bit
        rec = load_any(_damaged(path, data, {at: x}))
        assert _same_samples(rec, intact), at
        assert rec.info.calibration is None and rec.info.roller_radius_m is None and rec.info.extra == {}, at
        assert rec.info.rate_hz == intact.info.rate_hz, at
        assert [c.name for c in rec.info.channels] == [c.name for c in intact.info.channels], at
        assert "extra" not in rec.header and "created_utc" not in rec.header, at  # no hold cap, no date
        assert rec.warnings == [_untrusted_warning(path, rec, data)], at


def test_sensor_positions_are_left_out_of_a_header_that_fails_its_checksum(tmp_path):
    path, data = _copy("channels2_hard.smr", tmp_path)
    intact = load_any(SHIPPED / "channels2_hard.smr")
    assert all(c.position_m is not None for c in intact.info.channels)
    at = data.index(b'"position_m":[') + len(b'"position_m":[0.')
    rec = load_any(_damaged(path, data, {at: 0x0B}))  # a digit of a position, no longer what was measured
    assert _same_samples(rec, intact)
    assert [c.position_m for c in rec.info.channels] == [None, None] and rec.info.calibration is None


def test_a_rate_the_times_contradict_is_taken_from_the_times(tmp_path):
    path = tmp_path / "s.smr"
    data = _small(path)
    intact = load_any(_restore(tmp_path, data))
    rate = data.index(b'"rate_hz":100.0') + len(b'"rate_hz":')
    when = data.index(b'"created_utc":"') + len(b'"created_utc":"2')
    # Two damaged bytes: no single byte explains the checksum, so nothing can be set back.
    rec = load_any(_damaged(path, data, {rate: ord("1") ^ ord("9"), when: 0x01 ^ 0x02}))
    measured = 1.0 / float(np.median(np.diff(intact.block.t_s)))  # the simulated clock runs a little fast
    assert _same_samples(rec, intact) and rec.info.rate_hz == pytest.approx(measured, rel=1e-5) != 900.0
    assert rec.warnings == [_untrusted_warning(path, rec, data, rate=f"{rec.info.rate_hz:g} Hz, from their times")]


def test_a_stream_description_that_does_not_fit_the_samples_is_refused(tmp_path):
    path = tmp_path / "s.smr"
    data = _small(path)
    key = data.index(b'"has_gyro"')
    # "has_gyro" -> "hbs_gyr\x7f": the stream reads as gyro-less, rows 12 bytes short of the real ones.
    rec_path = _damaged(path, data, {key + 2: 0x03, key + 8: 0x10})
    with pytest.raises(FileFormatError) as err:
        load_any(rec_path)
    assert str(err.value) == (
        f"{path} has a damaged header (it fails its checksum and its column layout does not fit its samples), so "
        f"the layout of its samples is unknown: the file holds {_sample_chunks(data)} intact chunks of samples (up to a second each), "
        "but none can be read without it"
    )


def test_a_header_that_is_not_json_any_more_names_the_samples_still_in_the_file(tmp_path):
    path, data = _copy("imu_routine.smr", tmp_path)
    chunks = _sample_chunks(data)
    d = bytearray(data)
    d[BODY : BODY + 40] = bytes(40)  # a zeroed stretch: no one byte explains it
    path.write_bytes(bytes(d))
    with pytest.raises(FileFormatError) as err:
        load_any(path)
    assert chunks > 100 and str(err.value) == (
        f"{path} has a damaged header (it fails its checksum and is not readable JSON), so the layout of its "
        f"samples is unknown: the file holds {chunks} intact chunks of samples (up to a second each), but none can "
        "be read without it"
    )
    assert path.read_bytes() == bytes(d)  # left as it is


def test_length_and_json_both_damaged_end_the_header_at_the_first_intact_chunk(tmp_path):
    path = tmp_path / "s.smr"
    data = _small(path)
    intact = load_any(_restore(tmp_path, data))
    end = BODY + _json_len(data) + 4
    rec = load_any(_damaged(path, data, {9: 0x20, BODY + 30: 0x5A}))
    assert _same_samples(rec, intact) and rec.info.calibration is None
    assert rec.warnings == [
        f"{path}: its header's length (bytes 8 to 12) is damaged; the header was taken to end where the first "
        f"intact chunk begins (byte {end})",
        _untrusted_warning(path, rec, data),
    ]


# The signature --------------------------------------------------------------------------------


@pytest.mark.parametrize("at", range(8))
def test_a_damaged_signature_before_a_whole_header_is_read_as_the_recording(tmp_path, at):
    path, rec, intact = _read_damaged("force_routine.smr", tmp_path, {at: 0xFF})
    assert _same_samples(rec, intact) and rec.info == intact.info
    assert rec.warnings == [
        f"{path}: its recording signature (bytes 0 to 8) is damaged, but the header after it passes its checksum, "
        "so it is read as a recording"
    ]


def test_a_damaged_signature_and_header_are_read_by_the_chunks_after_them(tmp_path):
    path = tmp_path / "s.smr"
    data = _small(path)
    intact = load_any(_restore(tmp_path, data))
    rec = load_any(_damaged(path, data, {0: 0x10, BODY + 50: 0x33}))
    assert _same_samples(rec, intact) and rec.info.calibration is None
    assert rec.warnings[0] == (
        f"{path}: its recording signature (bytes 0 to 8) is damaged, but the chunks after it pass their "
        "checksums, so it is read as a recording"
    )
    assert rec.warnings[1:] == [_untrusted_warning(path, rec, data)]


def test_without_its_signature_only_a_file_whose_header_or_chunks_check_out_is_a_recording(tmp_path):
    path, data = _copy("force_routine.smr", tmp_path)
    assert load_any(_damaged(path, data, {3: 0x20})).warnings[0].startswith(f"{path}: its recording signature")
    others = [
        bytes(random.Random(1).randrange(256) for _ in range(200_000)),  # noise
        fmt.MAGIC[:7] + bytes(random.Random(2).randrange(256) for _ in range(50_000)),  # all but one signature byte
        b"\x00\x01\x02\x03" * 20_000 + b"D" + bytes(64),  # zero bytes and a chunk tag, no checksum
    ]
    for content in others:
        path.write_bytes(content)
        with pytest.raises(FileFormatError, match="(neither an smr-sense recording nor a CSV|is not an smr-sense recording)"):
            load_any(path)
    path.write_bytes(data[8:])  # a recording without its first 8 bytes: its chunks check out, its header cannot
    with pytest.raises(FileFormatError, match=f"has a damaged header .* the file holds {_sample_chunks(data)} intact chunks"):
        load_any(path)
    csv = tmp_path / "s.csv"
    csv.write_text("time_s,force_n\n" + "".join(f"{i / 100:.2f},{50 + i % 9}\n" for i in range(400)))
    assert load_any(csv).from_csv


# The commands ---------------------------------------------------------------------------------

SMR = [sys.executable, "-m", "smr_sense"]


def _smr(*args, tmp_path):
    env = {**os.environ, "SMR_SENSE_CONFIG_DIR": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([*SMR, *args], capture_output=True, text=True, cwd=tmp_path, env=env)


def test_analyze_a_header_beyond_reading_is_one_sentence_and_exit_2(tmp_path):
    path, data = _copy("imu_routine.smr", tmp_path)
    d = bytearray(data)
    d[BODY : BODY + 40] = bytes(40)
    path.write_bytes(bytes(d))
    r = _smr("analyze", str(path), tmp_path=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"smr-sense: error: {path} has a damaged header ")
    assert "intact chunks of samples" in r.stderr


def test_analyze_a_repaired_header_says_so_once_and_finds_the_same_holds(tmp_path):
    path, data = _copy("imu_routine.smr", tmp_path)
    _damaged(path, data, {10: 0x08})
    r = _smr("analyze", str(path), "--json", tmp_path=tmp_path)
    intact = _smr("analyze", str(SHIPPED / "imu_routine.smr"), "--json", tmp_path=tmp_path)
    assert r.returncode == 0 and intact.returncode == 0
    assert r.stderr == f"smr-sense: warning: {path}: its header's length (bytes 8 to 12) is damaged; the header was " \
                       "found whole by its checksum and repaired, so nothing is lost\n"
    got, want = json.loads(r.stdout), json.loads(intact.stdout)
    assert got["holds"] == want["holds"] and got["warnings"] == [r.stderr.split("warning: ", 1)[1].strip()]


def test_analyze_and_export_of_an_untrusted_header_need_the_calibration_given(tmp_path):
    path, data = _copy("imu_routine.smr", tmp_path)
    _damaged(path, data, {BODY + 300: 0x22})
    intact = load_any(SHIPPED / "imu_routine.smr")
    # Without a calibration the counts are not measured: refused in one sentence that says how,
    # after the damage that is the reason for it.
    r = _smr("analyze", str(path), tmp_path=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 2, r.stderr
    warned, refused = r.stderr.splitlines()
    assert warned.startswith(f"smr-sense: warning: {path}: its header fails its checksum")
    assert refused.startswith("smr-sense: error: ") and "--calibration FILE" in refused
    # With one, the same holds as the intact file, and the damage said.
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(intact.info.calibration))
    got = _smr("analyze", str(path), "--json", "--calibration", str(cal), tmp_path=tmp_path)
    want = _smr("analyze", str(SHIPPED / "imu_routine.smr"), "--json", tmp_path=tmp_path)
    assert got.returncode == 0, got.stderr
    assert [h["start_s"] for h in json.loads(got.stdout)["holds"]] == [h["start_s"] for h in json.loads(want.stdout)["holds"]]
    assert "its header fails its checksum" in got.stderr
    # export keeps every raw count.
    e = _smr("export", str(path), "--csv", str(tmp_path / "out.csv"), tmp_path=tmp_path)
    assert e.returncode == 0 and "its header fails its checksum" in e.stderr
    table = np.genfromtxt(tmp_path / "out.csv", delimiter=",", names=True)
    assert len(table) == len(intact.block) and np.array_equal(table["raw_0"], intact.block.raw[:, 0].astype(float))

"""Interchange CSV: any logger's file in the documented shape replays like a recording."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from smr_sense.core.calibration import forces_n
from smr_sense.core.pipeline import analyze_block
from smr_sense.core.sim import SimConfig, simulate
from smr_sense.errors import FileFormatError, SmrError
from smr_sense.recording import RecordingWriter, export_csv, load_any


def recorded(path, config: SimConfig, seconds: float):
    """A simulated session written as a recording at ``path``, read back: (recording, block)."""
    info, block, _ = simulate(config, seconds)
    with RecordingWriter(path, info) as w:
        w.append(block)
    return load_any(path), block


def test_export_then_import_keeps_the_samples(tmp_path):
    rec, block = recorded(tmp_path / "s.smr", SimConfig(seed=3, build="imu"), 30.0)
    info = rec.info
    written = export_csv(rec, tmp_path / "s.csv")
    assert written == [str(tmp_path / "s.csv"), str(tmp_path / "s.stream.json")]
    back = load_any(tmp_path / "s.csv")
    assert back.info.has_gyro and back.info.channels[0].unit == "N"
    np.testing.assert_allclose(back.block.t_s, block.t_s, atol=1e-6)
    np.testing.assert_allclose(back.block.raw[:, 0], forces_n(info, block.raw)[:, 0], atol=2e-3)
    np.testing.assert_array_equal(back.block.gyro_dps, block.gyro_dps)  # %.9g keeps float32 exact


def test_hand_written_multichannel_csv(tmp_path):
    path = tmp_path / "logger.csv"
    path.write_text("# from my logger\ntime_s,force_n_0,force_n_1\n0.00,1.5,2.5\n0.01,x,2.4\n")
    with pytest.raises(FileFormatError, match="line 4 has 'x'"):
        load_any(path)
    path.write_text("# from my logger\ntime_s,force_n_0,force_n_1,note\n0.00,1.5,2.5,a\n0.01,,2.4,b\n0.02,1.7,2.3,c\n")
    rec = load_any(path)
    assert [c.name for c in rec.info.channels] == ["force_n_0", "force_n_1"]
    assert rec.info.rate_hz == pytest.approx(100.0)
    assert np.isnan(rec.block.raw[1, 0]) and rec.block.raw[2, 1] == np.float32(2.3)
    assert rec.warnings == [f"{path}: ignoring columns note"]


def test_raw_counts_are_uncalibrated(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("time_s,raw_0\n0,100\n0.0125,101\n")
    rec = load_any(path)
    assert rec.info.channels[0].unit == "count" and rec.info.calibration is None


def test_a_raw_csv_under_a_calibration_naming_its_channel_otherwise_is_told_how_to_name_it(tmp_path):
    # A 30 s hold of 300 N in a bare HX711's counts, and the bench's profile, which calls the
    # channel "load": "no calibration, run calibrate" would send the user back to the bench.
    t = np.arange(3000) / 100.0
    counts = np.where((t > 2) & (t < 28), 81000 + 300 * 420, 81000)
    (tmp_path / "raw.csv").write_text("time_s,raw_0\n" + "".join(f"{a:.2f},{c}\n" for a, c in zip(t, counts)))
    prof = tmp_path / "bench.json"
    prof.write_text(json.dumps({"version": 1, "device_id": "bench", "calibration": {"device_id": "bench", "channels": [
        {"name": "load", "model": "linear", "offset_counts": 81000, "n_per_count": 1 / 420}]}}))
    run = [sys.executable, "-m", "smr_sense", "analyze", str(tmp_path / "raw.csv"), "--calibration", str(prof), "--json"]
    r = subprocess.run(run, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr == (
        f"smr-sense: error: {tmp_path / 'raw.csv'}: the calibration has no channel 'raw_0' (it calibrates 'load'); "
        f"a raw channel is calibrated under its own name; say which it is in {tmp_path / 'raw.stream.json'}, "
        'as {"channels": [{"column": "raw_0", "name": "load"}]}\n'
    )
    (tmp_path / "raw.stream.json").write_text('{"channels": [{"column": "raw_0", "name": "load"}]}')
    r = subprocess.run(run, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [round(h["peak_force_n"]) for h in out["holds"]] == [300]
    assert out["warnings"] == []  # a CSV that names no device has no device to differ from the profile's


@pytest.mark.parametrize(
    "text, message",
    [
        ("force_n\n1\n2\n", "no time_s column"),
        ("time_s,gyro_x_dps\n0,1\n", "no force_n"),
        ("time_s,force_n\n", "no samples"),
        ("time_s,force_n\n0,150\n", "has only one sample, and a session needs two or more"),
        ("time_s,force_n\n0,1\n0.02,1\n0.01,1\n", "goes backwards at line 4"),
        ("time_s,force_n\n0,1\n0,1\n", "repeats at line 3"),
        ("time_s,force_n\n0,1\n0.01,1,3\n", "line 3 has 3 values"),
        ("time_s,force_n\n0,1\n,1\n", "line 3 has no time_s"),
        ("time_s,force_n\n0,1\nnan,1\n", r"line 3 has no time_s value \(the cell is empty or not a number\)"),
        ("time_s,force_n\n0,1\ninf,2\n", r"line 3 has time_s inf, which is not a time"),
        # the line an editor shows: comment and blank lines count, as the value errors count them
        ("# logger v2\ntime_s,force_n\n0,1\n# pause\n\n0.02,1\n0.01,1\n", "goes backwards at line 7"),
        ("time_s,force_n\n0,1\n\n,1\n", "line 4 has no time_s"),
        # a force column with no usable value at all
        ("time_s,force_n\n0,nan\n0.01,\n0.02,nan\n", "column force_n has no usable value in any of its"),
        ("time_s,force_n\n0,inf\n0.01,-inf\n0.02,1e39\n", "column force_n has no usable value in any of its"),
        ("time_s,force_n_0,force_n_1\n0,1,\n0.01,2,nan\n", "column force_n_1 has no usable value in any of its"),
        ("time_s,raw_0\n0,nan\n0.01,nan\n", "column raw_0 has no usable value in any of its"),
    ],
)
def test_bad_csv_gets_one_sentence(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=message) as err:
        load_any(path)
    assert "\n" not in str(err.value)


def test_export_refuses_to_overwrite(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("time_s,force_n\n0,1\n0.01,2\n")
    rec = load_any(path)
    (tmp_path / "out.csv").write_text("precious")
    with pytest.raises(SmrError, match="already exists"):
        export_csv(rec, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == "precious"
    with pytest.raises(SmrError, match=f"^{tmp_path} is a folder; give the name of a file to write$"):
        export_csv(rec, tmp_path, force=True)  # --force cannot make a folder a file
    with pytest.raises(SmrError, match="the folder .*no does not exist"):
        export_csv(rec, tmp_path / "no" / "out.csv")
    with pytest.raises(SmrError, match=r"^\S+out.SMR is a recording's name; give the CSV a name ending in .csv$"):
        export_csv(rec, tmp_path / "out.SMR")  # a CSV under that name read back as a broken recording
    assert not (tmp_path / "out.SMR").exists() and not (tmp_path / "out.stream.json").exists()



def test_a_recording_exported_again_to_the_same_name_with_force_replaces_the_last_export(tmp_path):
    # x.smr -> x.csv writes x.stream.json beside it; the recording never reads that file, so the
    # second export (the README's example run twice) must not take it for its input.
    rec, block = recorded(tmp_path / "x.smr", SimConfig(seed=3, build="force"), 5.0)
    export_csv(rec, tmp_path / "x.csv")
    (tmp_path / "x.csv").write_text("stale")
    written = export_csv(rec, tmp_path / "x.csv", force=True)
    assert written[:2] == [str(tmp_path / "x.csv"), str(tmp_path / "x.stream.json")]
    assert len(load_any(tmp_path / "x.csv").block) == len(block)


def test_a_csv_exported_onto_its_own_description_is_refused_even_with_force(tmp_path):
    # A CSV's description is read with it: x.csv -> x.tsv would write x.stream.json over it.
    (tmp_path / "x.csv").write_text("time_s,force_n\n0,1\n0.01,2\n")
    (tmp_path / "x.stream.json").write_text('{"device_name": "bench logger"}')
    rec = load_any(tmp_path / "x.csv")
    with pytest.raises(SmrError, match=r"x\.stream\.json is the file being read; write to another file$"):
        export_csv(rec, tmp_path / "x.tsv", force=True)
    assert json.loads((tmp_path / "x.stream.json").read_text()) == {"device_name": "bench logger"}


@pytest.mark.parametrize("tail", ["0.03", "0.03,", "0.03,1e", '0.03,"4'])
def test_a_last_line_cut_by_a_logger_stopping_mid_write_is_dropped_and_the_rest_kept(tmp_path, tail):
    # A logger killed mid-write: a recording in the same state keeps every whole chunk, so the
    # CSV keeps every whole line. Only a last line with no line end is taken for cut.
    path = tmp_path / "cut.csv"
    path.write_text("time_s,force_n,note\n0,1,a\n0.01,2,b\n0.02,3,c\n" + tail)
    rec = load_any(path)
    assert rec.block.t_s.tolist() == [0.0, 0.01, 0.02]
    assert f"{path}: line 5 is cut short (the file ends inside it); ignoring that line" in rec.warnings


def test_a_last_line_cut_just_after_a_separator_is_cut_not_a_missing_value(tmp_path):
    # "0.03," at the very end has as many cells as the header: it read as a force gone missing.
    path = tmp_path / "cut.csv"
    path.write_text("time_s,force_n\n0,1\n0.01,2\n0.02,3\n0.03,")
    rec = load_any(path)
    assert rec.block.t_s.tolist() == [0.0, 0.01, 0.02]
    assert rec.warnings == [f"{path}: line 5 is cut short (the file ends inside it); ignoring that line"]


@pytest.mark.parametrize("text, message", [
    ("time_s,force_n\n0,1\n0.01\n0.02,3\n0.03,4", "line 3 has 1 value where the header has 2"),  # not the last
    ("time_s,force_n\n0,1\n0.01,2\n0.02\n", "line 4 has 1 value where the header has 2"),  # it ends its line
])
def test_a_short_line_that_is_not_a_cut_end_is_still_refused(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=message):
        load_any(path)

def _hold_csv(path, cells):
    """A 30 s hold at 300 N with some force cells replaced by ``cells`` {sample index: text}."""
    t = np.arange(3000) / 100.0
    rows = [f"{ti:.2f},{300 if 2 <= ti < 28 else 0}" for ti in t]
    for i, text in cells.items():
        rows[i] = f"{t[i]:.2f},{text}"
    path.write_text("time_s,force_n\n" + "\n".join(rows) + "\n")


def test_infinite_values_are_missing_and_beyond_float32_ones_out_of_range_said_once(tmp_path):
    # 1e300 was "missing (empty, NaN or infinite)": it is a number, one no roller can send.
    path = tmp_path / "inf.csv"
    _hold_csv(path, {1000: "inf", 1001: "1e39", 1002: "-inf", 1500: "-1e300", 2000: "5e6", 2001: ""})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning may reach the user's terminal
        rec = load_any(path)
        result = analyze_block(rec.info, rec.block, rec.markers)
    assert np.isnan(rec.block.raw[[1000, 1002], 0]).all()
    assert rec.block.raw[1001, 0] == np.finfo(np.float32).max and rec.block.raw[1500, 0] == -np.finfo(np.float32).max
    assert rec.block.raw[999, 0] == 300 and rec.block.raw[1003, 0] == 300
    assert rec.warnings == []  # the conditioner says it, counting each cell once
    assert result.warnings == [
        "3 missing values (empty, NaN or infinite) were replaced by the previous good value",
        "3 values beyond what a roller can read (20000 N, 10000 deg/s) were replaced by the previous good value",
    ]
    assert result.summary["peak_force_n"] == pytest.approx(300.0)


def test_the_largest_float32_is_still_a_value(tmp_path):
    path = tmp_path / "edge.csv"
    _hold_csv(path, {1000: "3.4e38"})
    rec = load_any(path)
    assert rec.block.raw[1000, 0] == np.float32(3.4e38) and rec.warnings == []


def _smr(*args):
    return subprocess.run([sys.executable, "-m", "smr_sense", *args], capture_output=True, text=True)


def _strict_json(text):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_analyze_and_export_of_a_csv_with_infinities_as_a_user_runs_them(tmp_path):
    path = tmp_path / "overflowed.csv"
    _hold_csv(path, {1000: "inf", 1001: "inf", 1002: "1e39", 2999: "inf"})
    r = _smr("analyze", "--json", str(path))
    assert r.returncode == 0, r.stderr
    obj = _strict_json(r.stdout)
    assert obj["holds"][0]["peak_force_n"] == pytest.approx(300.0) and obj["summary"]["peak_force_n"] < 301
    assert "RuntimeWarning" not in r.stderr and "Traceback" not in r.stderr
    assert "missing values (empty, NaN or infinite) were replaced by the previous good value" in r.stderr
    r = _smr("analyze", str(path))
    assert r.returncode == 0 and "peak force 300 N" in r.stdout and "inf" not in r.stdout.lower()
    r = _smr("export", "--csv", str(tmp_path / "out.csv"), str(path))
    assert r.returncode == 0 and "RuntimeWarning" not in r.stderr


def test_analyze_refuses_a_csv_with_no_force_in_one_sentence(tmp_path):
    path = tmp_path / "allnan.csv"
    path.write_text("time_s,force_n\n0,nan\n0.01,\n0.02,nan\n")
    for extra in ([], ["--json"]):
        r = _smr("analyze", *extra, str(path))
        assert r.returncode != 0 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and "no usable value" in r.stderr and "previous good value" not in r.stderr


@pytest.mark.parametrize(
    ("gyro_header", "gyro_cells", "why"),
    [
        (",gyro_x_dps,gyro_y_dps,gyro_z_dps", ",,,", "they have no values"),
        (",gyro_x_dps,gyro_z_dps", ",1.5,2.5", "gyro_y_dps is missing"),
        (",gyro_x_dps", ",1.5", "gyro_y_dps and gyro_z_dps are missing"),
    ],
)
def test_a_gyro_without_values_is_ignored_not_read_as_a_still_roller(tmp_path, gyro_header, gyro_cells, why):
    # Read as zero rotation, an empty gyro would make every stop on the roller a hold.
    info, block, _ = simulate(SimConfig(seed=5, build="force"), 120.0)
    force = forces_n(info, block.raw)[:, 0]
    rows = "".join(f"{t:.4f},{f:.3f}{gyro_cells}\n" for t, f in zip(block.t_s, force))
    (tmp_path / "plain.csv").write_text("time_s,force_n\n" + "".join(f"{t:.4f},{f:.3f}\n" for t, f in zip(block.t_s, force)))
    path = tmp_path / "gyro.csv"
    path.write_text(f"time_s,force_n{gyro_header}\n" + rows)
    rec = load_any(path)
    assert not rec.info.has_gyro and rec.warnings == [f"{path}: ignoring the gyro columns: {why}"]
    with_gyro = json.loads(_smr("analyze", "--json", str(path)).stdout)
    plain = json.loads(_smr("analyze", "--json", str(tmp_path / "plain.csv")).stdout)
    assert with_gyro["holds"] == plain["holds"] and len(plain["holds"]) > 0


def test_a_csv_reads_back_the_markers_its_export_wrote_beside_it(tmp_path):
    """Muscle groups, link gaps and calibrations travel with the CSV (the dashboard's replay of it
    is in test_tui_app)."""
    rec = load_any("recordings/imu_routine.smr")
    assert {m.kind for m in rec.markers} >= {"muscle_group"}
    written = export_csv(rec, tmp_path / "s.csv")
    assert written == [str(tmp_path / "s.csv"), str(tmp_path / "s.stream.json"), str(tmp_path / "s.markers.csv")]
    back = load_any(tmp_path / "s.csv")
    assert back.warnings == []
    assert [(m.kind, m.data) for m in back.markers] == [(m.kind, m.data) for m in rec.markers]
    np.testing.assert_allclose([m.t_s for m in back.markers], [m.t_s for m in rec.markers], atol=1e-6)


def test_a_markers_file_that_cannot_be_written_is_one_sentence_and_nothing_is_put_in_place(tmp_path):
    # The markers file is the last written: a folder where it is staged makes its write fail after
    # the CSV and its description were written whole, as a full disk would.
    (tmp_path / "in.csv").write_text("time_s,force_n\n0,1\n0.01,2\n")
    (tmp_path / "in.markers.csv").write_text('time_s,kind,data\n0.005,muscle_group,"{""group"":""calves""}"\n')
    rec = load_any(tmp_path / "in.csv")
    assert rec.markers
    (tmp_path / ".out.markers.csv.part").mkdir()
    with pytest.raises(FileFormatError, match=r"^cannot write .*/out\.markers\.csv: Is a directory$"):
        export_csv(rec, tmp_path / "out.csv")
    # All three or none: a CSV without its markers would read back as another session.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.markers.csv.part", "in.csv", "in.markers.csv"]


def test_a_damaged_markers_file_is_one_warning_and_the_samples_still_load(tmp_path):
    (tmp_path / "s.csv").write_text("time_s,force_n\n0,1\n0.01,2\n")
    (tmp_path / "s.markers.csv").write_text('time_s,kind,data\n0.5,muscle_group,"{""group"":""calves""}"\nsoon,note,"{}"\n')
    rec = load_any(tmp_path / "s.csv")
    assert rec.markers == [] and len(rec.block) == 2
    assert rec.warnings == [f"ignoring {tmp_path / 's.markers.csv'}: line 3 is not a time, a kind and JSON data"]


def test_an_export_without_markers_replaces_a_stale_markers_file_only_with_force(tmp_path):
    (tmp_path / "in.csv").write_text("time_s,force_n\n0,1\n0.01,2\n")
    rec = load_any(tmp_path / "in.csv")
    stale = tmp_path / "out.markers.csv"
    stale.write_text('time_s,kind,data\n0.5,muscle_group,"{""group"":""calves""}"\n')
    with pytest.raises(SmrError, match="out.markers.csv already exists"):
        export_csv(rec, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    export_csv(rec, tmp_path / "out.csv", force=True)
    assert not stale.exists() and load_any(tmp_path / "out.csv").markers == []


@pytest.mark.parametrize(
    "header",
    ['"time_s","force_n","note"', '"time_s", "force_n" , "note"', '"Time_s",force_n,"note"'],
)
def test_a_header_with_quoted_names_as_spreadsheets_export_it(tmp_path, header):
    path = tmp_path / "sheet.csv"
    path.write_bytes((header + "\r\n0.00,1.5,a\r\n0.01,,b\r\n0.02,1.7,c\r\n").encode())
    rec = load_any(path)
    assert [c.name for c in rec.info.channels] == ["force_n"] and rec.info.rate_hz == pytest.approx(100.0)
    np.testing.assert_array_equal(rec.block.raw[[0, 2], 0], np.float32([1.5, 1.7]))
    assert rec.warnings == [f"{path}: ignoring columns note"]



@pytest.mark.parametrize(
    "rows",
    [
        '"0.00","1.5","a"\n"0.01","","b"\n"0.02","1.7","c"\n',  # every cell quoted (csv.QUOTE_ALL)
        '0.00,1.5,"left, then right"\n0.01,,"b"\n0.02,1.7,"say ""hi"""\n',  # text cells quoted, commas inside
    ],
)
def test_quoted_cells_read_as_their_values(tmp_path, rows):
    path = tmp_path / "quoted.csv"
    path.write_text('"time_s","force_n","note"\n' + rows)
    rec = load_any(path)
    np.testing.assert_allclose(rec.block.t_s, [0.0, 0.01, 0.02])
    np.testing.assert_array_equal(rec.block.raw[[0, 2], 0], np.float32([1.5, 1.7]))
    assert np.isnan(rec.block.raw[1, 0])

@pytest.mark.parametrize("first", ["# exported by my logger\n", "\n", ""])
def test_a_byte_order_mark_before_any_first_line(tmp_path, first):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + first + "time_s,force_n\n0,1.5\n0.01,1.6\n").encode())
    rec = load_any(path)
    assert [c.name for c in rec.info.channels] == ["force_n"] and len(rec.block) == 2 and rec.warnings == []


def _clock_csv(path, step, n=300):
    """A hold whose time_s column counts ``step`` per sample (0.01 for 100 Hz in seconds)."""
    path.write_text("time_s,force_n\n" + "".join(f"{i * step:.9g},{300 if 50 <= i < 250 else 0}\n" for i in range(n)))


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (1000, r"looks like microseconds \(a step of 1000 per sample is 0.001 Hz in seconds, 1000 Hz in microseconds\)"),
        (10000, r"looks like microseconds \(a step of 10000 per sample is 0.0001 Hz in seconds, 100 Hz in"),
        (1, r"looks like milliseconds \(a step of 1 per sample is 1 Hz in seconds, 1000 Hz in milliseconds\)"),
        (10, r"looks like milliseconds \(a step of 10 per sample is 0.1 Hz in seconds, 100 Hz in milliseconds\)"),
        (5_000_000, "looks like nanoseconds"),
        (0.5, r"steps by 0.5 per sample: read as seconds, that is 2 Hz, slower than the 5 Hz the hold detector needs"),
        # Windows sized in samples at 1 GHz: 8-22 s, then "internal error (MemoryError ...)"; a
        # replay of it grew to 21 GB and ignored q.
        (1e-9, r"steps by 1e-09 s per sample, which is 1e\+09 Hz, faster than the 2000 Hz a roller streams at"),
        (1e-4, r"which is 1e\+04 Hz, faster than the 2000 Hz a roller streams at; time_s must be in seconds"),
    ],
)
def test_a_time_column_in_a_device_clocks_units_is_refused_not_rescaled(tmp_path, step, message):
    path = tmp_path / "clock.csv"
    _clock_csv(path, step)
    with pytest.raises(FileFormatError, match=message) as err:
        load_any(path)
    assert "\n" not in str(err.value)
    if step in (1, 10):
        assert str(err.value).endswith("and time_s must be in seconds")


@pytest.mark.parametrize("step", [0.2, 0.01, 0.0005])
def test_seconds_at_the_rates_a_roller_streams_at_are_read(tmp_path, step):
    path = tmp_path / "ok.csv"
    _clock_csv(path, step)
    assert load_any(path).info.rate_hz == pytest.approx(1 / step)


def test_analyze_of_a_csv_timed_in_microseconds_is_one_sentence(tmp_path):
    path = tmp_path / "micros.csv"
    _clock_csv(path, 1000)
    r = _smr("analyze", str(path))
    assert r.returncode != 0 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr == (
        f"smr-sense: error: {path}: the time_s column looks like microseconds (a step of 1000 per sample is "
        "0.001 Hz in seconds, 1000 Hz in microseconds), and time_s must be in seconds\n"
    )


def _force_csv(path, *columns):
    """``columns``: force_n_i values per sample, 100 Hz; one column is written as force_n."""
    names = ["force_n"] if len(columns) == 1 else [f"force_n_{i}" for i in range(len(columns))]
    rows = (f"{i / 100:.2f}," + ",".join(f"{c[i]:.2f}" for c in columns) for i in range(len(columns[0])))
    path.write_text("time_s," + ",".join(names) + "\n" + "\n".join(rows) + "\n")


_HOLD_N = np.where((np.arange(3000) >= 200) & (np.arange(3000) < 2800), 300.0, 0.0)
_REST_NOISE_N = 0.5 * np.sin(np.arange(3000))  # a tared cell at rest reads either side of zero


def test_a_force_column_all_negative_is_said_to_be_wired_backwards_and_read_as_it_is(tmp_path):
    path = tmp_path / "backwards.csv"
    _force_csv(path, -_HOLD_N - 1.0)
    rec = load_any(path)
    assert rec.warnings == [
        f"{path}: column force_n is negative in all of its 3000 samples (down to -301 N): the load cell is "
        "probably wired backwards or its sign flipped (the column is read as it is, not flipped)"
    ]
    assert rec.block.raw[1000, 0] == np.float32(-301.0)  # not flipped
    r = _smr("analyze", str(path))
    assert r.returncode == 0 and "holds: 0" in r.stdout
    assert r.stderr == f"smr-sense: warning: {rec.warnings[0]}\n"


def test_a_tared_backwards_cell_is_said_too_though_its_rest_noise_crosses_zero(tmp_path):
    path = tmp_path / "tared.csv"
    _force_csv(path, _HOLD_N + 20.0, -_HOLD_N + _REST_NOISE_N)
    assert load_any(path).warnings == [
        f"{path}: column force_n_1 is negative wherever it is loaded (down to -300 N, never above 0.5 N): "
        "the load cell is probably wired backwards or its sign flipped (the column is read as it is, not flipped)"
    ]


@pytest.mark.parametrize(
    "force_n",
    [
        _HOLD_N + _REST_NOISE_N,  # the right way round
        np.where(np.arange(3000) == 100, -40.0, _HOLD_N),  # a knock below zero in a good recording
        _REST_NOISE_N - 3.0,  # an untared roller no one stood on
        _REST_NOISE_N - 20.0,  # ... with a larger offset, still less than a push
    ],
)
def test_no_backwards_warning_without_a_load_read_negative(tmp_path, force_n):
    path = tmp_path / "fine.csv"
    _force_csv(path, force_n)
    assert load_any(path).warnings == []


@pytest.mark.parametrize("force_n", [_REST_NOISE_N - 40.0, -(100.0 + np.arange(3000) % 7)])
def test_a_column_steadily_below_zero_by_more_than_a_push_is_said(tmp_path, force_n):
    # An untared offset, or a backwards cell logged with the person already still on it: analyze
    # found no hold, peak 0 N, and said nothing.
    path = tmp_path / "offset.csv"
    _force_csv(path, force_n)
    (said,) = load_any(path).warnings
    assert said.startswith(f"{path}: column force_n reads ")
    assert said.endswith(" N in all of its 3000 samples, below zero throughout: the roller was probably not tared, "
                         "or its load cell is wired backwards (the column is read as it is)")


@pytest.mark.parametrize("glitch_n", [-1e30, -25000.0])
def test_a_value_beyond_what_a_roller_reads_is_no_sign_of_backwards_wiring(tmp_path, glitch_n):
    # The conditioner refuses it (and says so): it must not also make a good column read "backwards".
    path = tmp_path / "glitch.csv"
    _force_csv(path, np.where(np.arange(3000) == 1000, glitch_n, _HOLD_N + _REST_NOISE_N))
    assert load_any(path).warnings == []
    r = _smr("analyze", str(path))
    assert r.returncode == 0 and "wired backwards" not in r.stderr
    assert "1 value beyond what a roller can read" in r.stderr


def test_a_backwards_column_resting_at_minus_zero_is_said_never_above_zero_not_minus_zero(tmp_path):
    path = tmp_path / "backwards0.csv"
    _force_csv(path, -_HOLD_N)  # at rest it reads -0.00
    assert load_any(path).warnings == [
        f"{path}: column force_n is negative wherever it is loaded (down to -300 N, never above 0.0 N): "
        "the load cell is probably wired backwards or its sign flipped (the column is read as it is, not flipped)"
    ]


def test_raw_counts_below_zero_are_no_wiring_fault(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("time_s,raw_0\n" + "".join(f"{i / 100:.2f},{-1000 - v:.0f}\n" for i, v in enumerate(_HOLD_N)))
    assert load_any(path).warnings == []  # a calibration's gain may be negative


def _recalibrated_recording(path, calibration_change):
    """A recording in which the dashboard's wizard saved a new calibration mid-session; returns when."""
    import copy

    from smr_sense.core.pipeline import CALIBRATION, CALIBRATION_STARTED
    from smr_sense.core.samples import Marker, interleave

    info, block, truth = simulate(SimConfig(seed=3, build="imu"), 150.0)
    hold = next(s for s in truth if s.kind == "hold" and s.duration_s > 12)
    new = copy.deepcopy(info.calibration)
    calibration_change(new["channels"][0])
    opened_s, closed_s = hold.start_s + 6.0, hold.start_s + 20.0
    markers = [Marker(opened_s, CALIBRATION_STARTED), Marker(closed_s, CALIBRATION, {"calibration": new})]
    with RecordingWriter(path, info) as w:
        for item in interleave(block, markers):
            w.mark(item) if isinstance(item, Marker) else w.append(item)
    return closed_s


def test_an_export_weighs_each_sample_by_the_calibration_in_force_then(tmp_path):
    """After a recalibration mid-session the CSV's newtons follow the new calibration, so analysing
    the CSV finds the holds and forces analysing the recording finds (it used the header's for all)."""
    from smr_sense.cli.analyze import analyze_file
    from smr_sense.core.settings import SessionSettings

    closed_s = _recalibrated_recording(tmp_path / "r.smr", lambda ch: ch.update(n_per_count=2.0 * ch["n_per_count"]))
    export_csv(load_any(tmp_path / "r.smr"), tmp_path / "r.csv")
    smr = analyze_file(str(tmp_path / "r.smr"), SessionSettings())
    csv = analyze_file(str(tmp_path / "r.csv"), SessionSettings())
    after = [(a, b) for a, b in zip(smr["holds"], csv["holds"], strict=True) if a["start_s"] > closed_s]
    assert after
    for a, b in after:
        assert b["start_s"] == pytest.approx(a["start_s"], abs=0.05)
        assert b["mean_force_n"] == pytest.approx(a["mean_force_n"], rel=0.001)


def test_an_export_refuses_a_saved_calibration_for_other_channels_in_one_sentence(tmp_path):
    _recalibrated_recording(tmp_path / "r.smr", lambda ch: ch.update(name="other"))
    with pytest.raises(FileFormatError, match=r"the calibration saved at [\d.]+ s does not cover its channels"):
        export_csv(load_any(tmp_path / "r.smr"), tmp_path / "r.csv")


def test_a_plates_export_keeps_where_its_load_cells_sit_so_the_csv_finds_the_same_holds(tmp_path):
    """Positions and the roller's radius go into the CSV's comments; without them a plate's CSV was
    analysed from force fluctuation and found other holds than its recording."""
    from smr_sense.cli.analyze import analyze_file
    from smr_sense.core.settings import SessionSettings

    rec, _ = recorded(tmp_path / "p.smr", SimConfig(seed=21, build="channels", hard=True), 150.0)
    info = rec.info
    export_csv(rec, tmp_path / "p.csv")
    back = load_any(tmp_path / "p.csv")
    assert [c.position_m for c in back.info.channels] == [
        pytest.approx(c.position_m, abs=5e-5) for c in info.channels
    ]
    assert back.info.roller_radius_m == pytest.approx(info.roller_radius_m, abs=5e-5)
    smr = analyze_file(str(tmp_path / "p.smr"), SessionSettings())
    csv = analyze_file(str(tmp_path / "p.csv"), SessionSettings())
    assert csv["summary"]["motion_cue"] == smr["summary"]["motion_cue"] == "centre_of_pressure"
    assert len(csv["holds"]) == len(smr["holds"]) > 0
    for a, b in zip(smr["holds"], csv["holds"], strict=True):
        assert b["start_s"] == pytest.approx(a["start_s"], abs=0.01)
        assert b["end_s"] == pytest.approx(a["end_s"], abs=0.01)


def _two_channel_csv(path, description):
    rows = "\n".join(f"{i / 79.9:.6f},{1000 + i % 7},{900 - i % 5}" for i in range(400))
    path.write_text(f"time_s,raw_0,raw_1\n{rows}\n")
    if description is not None:
        (path.parent / f"{path.stem}.stream.json").write_text(
            description if isinstance(description, str) else json.dumps(description)
        )
    return load_any(path)


def test_a_logger_may_describe_its_stream_beside_the_csv(tmp_path):
    rec = _two_channel_csv(tmp_path / "g.csv", {
        "device_id": "bench-7", "rate_hz": 80, "roller_radius_m": 0.07,
        "channels": [{"column": "RAW_0", "name": "left cell", "position_m": [0.12, 0.0]}],
        "session": {"body_mass_kg": 72},
    })
    assert rec.warnings == []
    assert rec.info.device_id == "bench-7" and rec.info.rate_hz == 80.0 and rec.info.roller_radius_m == 0.07
    assert [(c.name, c.position_m) for c in rec.info.channels] == [("left cell", (0.12, 0.0)), ("raw_1", None)]
    assert rec.header["extra"] == {"body_mass_kg": 72}
    assert "created_utc" not in rec.header  # undated: a replay's summary says no date rather than today's


def test_export_writes_the_dashboards_body_weight_under_session_as_the_readme_says(tmp_path):
    # The README's example has "session": {"body_mass_kg": 72}; a simulated person's own is "stream".
    info, block, _ = simulate(SimConfig(seed=3, build="force"), 2.0)
    with RecordingWriter(tmp_path / "d.smr", info, extra={"app": "dashboard", "body_mass_kg": 72}) as w:
        w.append(block)
    export_csv(load_any(tmp_path / "d.smr"), tmp_path / "d.csv")
    description = json.loads((tmp_path / "d.stream.json").read_text())
    assert description["session"] == {"app": "dashboard", "body_mass_kg": 72}
    assert description["stream"]["body_mass_kg"] == info.extra["body_mass_kg"]
    assert load_any(tmp_path / "d.csv").header["extra"]["body_mass_kg"] == 72


def test_an_exported_csv_keeps_the_date_its_recording_was_made(tmp_path):
    from smr_sense.report import recorded_at

    rec, _ = recorded(tmp_path / "s.smr", SimConfig(seed=3, build="force"), 5.0)
    export_csv(rec, tmp_path / "s.csv")
    back = load_any(tmp_path / "s.csv")
    assert back.warnings == [] and back.header["created_utc"] == rec.header["created_utc"]
    assert recorded_at(back.header) == recorded_at(rec.header) is not None


def test_a_loggers_date_without_a_zone_is_read_as_utc(tmp_path):
    rec = _two_channel_csv(tmp_path / "g.csv", {"created_utc": "2026-11-24T08:15:00"})
    assert rec.warnings == [] and rec.header["created_utc"] == "2026-11-24T08:15:00+00:00"


@pytest.mark.parametrize(
    "description, warning",
    [
        ({"rate_hz": 800}, "rate_hz 800: the time steps say 79.9 Hz"),
        ({"rate_hz": "fast"}, "rate_hz 'fast': not a number"),
        ({"sesion": {"body_mass_kg": 72}}, "key 'sesion': it takes channels, created_utc, device_id"),
        ({"session": {"body_mass_kg": 7200}}, "session body_mass_kg 7200: a body weight is 20-300 kg"),
        ({"stream": {"body_mass_kg": "72"}}, "stream body_mass_kg '72': a body weight is 20-300 kg"),
        ({"session": {"ceiling_n": -5}}, "session ceiling_n -5: a ceiling is a force above zero"),
        ({"session": 72}, "session: not a JSON object"),
        ({"roller_radius_m": 4.5}, "roller_radius_m 4.5: a roller's radius is 0.01-0.3 m"),  # cm typed as m
        ({"channels": [{"column": "raw_0", "position_m": [12, 0]}]}, "position_m for raw_0: a position is [x, y]"),
        ({"channels": [{"column": "raw_7", "name": "x"}]}, "channels raw_7: the CSV reads no such column"),
        ({"channels": [{"column": "raw_0", "name": "a"}, {"column": "raw_1", "name": "a"}]}, "two channels would share one"),
        ({"channels": "raw_0"}, "channels: not a list of objects"),
        ("{not json", "it is not JSON"),
        ("[1, 2]", "it is not a JSON object"),
        ({"created_utc": "yesterday"}, "created_utc 'yesterday': not a date and time such as 2026-11-24T08:15:00+00:00"),
        ({"created_utc": 20261124}, "created_utc 20261124: not a date and time"),
    ],
)
def test_an_implausible_stream_description_is_a_warning_and_the_samples_still_load(tmp_path, description, warning):
    rec = _two_channel_csv(tmp_path / "g.csv", description)
    assert len(rec.warnings) == 1 and warning in rec.warnings[0], rec.warnings
    assert rec.info.rate_hz == pytest.approx(79.9, abs=0.01)
    assert [c.name for c in rec.info.channels] == ["raw_0", "raw_1"] and len(rec.block) == 400


def test_an_implausible_body_weight_is_not_used_for_a_ceiling(tmp_path):
    rec = _two_channel_csv(tmp_path / "g.csv", {"session": {"body_mass_kg": 7200, "ceiling_n": 300}})
    assert rec.header["extra"] == {"ceiling_n": 300}


def test_channel_names_survive_an_export_of_an_export(tmp_path):
    rows = "\n".join(f"{i / 100:.2f},{100 + i % 7},{90 - i % 5}" for i in range(300))
    (tmp_path / "a.csv").write_text(f"time_s,force_n_0,force_n_1\n{rows}\n")
    (tmp_path / "a.stream.json").write_text(json.dumps({"channels": [
        {"column": "force_n_0", "name": "left", "position_m": [0.0, 0.1]},
        {"column": "force_n_1", "name": "right", "position_m": [0.0, -0.1]},
    ]}))
    export_csv(load_any(tmp_path / "a.csv"), tmp_path / "b.csv")
    back = load_any(tmp_path / "b.csv")
    assert [(c.name, c.position_m) for c in back.info.channels] == [("left", (0.0, 0.1)), ("right", (0.0, -0.1))]


@pytest.mark.parametrize("sep, said", [(";", "';'"), ("\t", "tabs")])
def test_a_csv_separated_by_semicolons_or_tabs_is_named_as_such(tmp_path, sep, said):
    path = tmp_path / "eu.csv"
    path.write_text(f"time_s{sep}force_n\n0{sep}1\n0,01{sep}2\n")
    with pytest.raises(FileFormatError, match=f"eu.csv separates its columns with {said}; an interchange CSV uses commas"):
        load_any(path)


def test_an_export_opens_as_a_plain_csv_with_its_header_on_the_first_line(tmp_path):
    import csv as csv_module

    export_csv(load_any("recordings/channels2_hard.smr"), tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="") as fh:
        first = next(csv_module.DictReader(fh))
    assert set(first) == {"time_s", "force_n_0", "force_n_1", "raw_0", "raw_1"}
    assert float(first["time_s"]) == 0.0


def test_a_raw_roller_calibrated_in_the_wizard_exports_a_csv_that_takes_that_calibration(tmp_path):
    """The calibration names the device's channel ('load'), the CSV's column is raw_0: without the
    '# channel raw_0 = load' comment, analysing the CSV refused what analysing the recording measured."""
    from smr_sense.cli.analyze import analyze_file
    from smr_sense.core.pipeline import CALIBRATION, CALIBRATION_STARTED
    from smr_sense.core.samples import Marker, interleave
    from smr_sense.core.settings import SessionSettings

    info, block, _ = simulate(SimConfig(seed=3, build="force"), 120.0)
    markers = [Marker(20.0, CALIBRATION_STARTED), Marker(30.0, CALIBRATION, {"calibration": info.calibration})]
    with RecordingWriter(tmp_path / "w.smr", info.with_calibration(None)) as w:
        for item in interleave(block, markers):
            w.mark(item) if isinstance(item, Marker) else w.append(item)
    export_csv(load_any(tmp_path / "w.smr"), tmp_path / "w.csv")
    back = load_any(tmp_path / "w.csv")
    assert [c.name for c in back.info.channels] == ["load"]
    smr = analyze_file(str(tmp_path / "w.smr"), SessionSettings())
    csv = analyze_file(str(tmp_path / "w.csv"), SessionSettings())
    assert len(csv["holds"]) == len(smr["holds"]) > 0
    for a, b in zip(smr["holds"], csv["holds"], strict=True):
        assert b["start_s"] == pytest.approx(a["start_s"], abs=0.01)
        assert b["mean_force_n"] == pytest.approx(a["mean_force_n"], abs=0.02)


def _same(a, b, where, abs_tol):
    """``b`` equals ``a`` key for key, numbers within ``abs_tol`` (the CSV keeps forces to 1 mN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}", abs_tol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]", abs_tol)
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        assert b == pytest.approx(a, abs=abs_tol), where
    else:
        assert a == b, where


def test_every_shipped_recording_and_its_export_give_the_same_analysis(tmp_path):
    """The CSV and its stream description carry what the analysis uses (rate, device, channel names,
    geometry, calibrations, the person's weight): the same JSON, holds, events, summary and ceiling."""
    from pathlib import Path

    from smr_sense.cli.analyze import analyze_file
    from smr_sense.core.settings import SessionSettings

    settings = SessionSettings(ceiling_pct_bw=30.0)  # from the simulated person's weight, in both
    for path in sorted((Path(__file__).resolve().parent.parent / "recordings").glob("*.smr")):
        out = tmp_path / f"{path.stem}.csv"
        export_csv(load_any(path), out)
        smr, csv = analyze_file(str(path), settings), analyze_file(str(out), settings)
        assert smr["summary"]["ceiling_n"] is not None
        _same(smr, csv, path.name, abs_tol=0.011)


def test_an_export_over_a_link_replaces_its_target_and_keeps_its_permissions(tmp_path):
    (tmp_path / "in.csv").write_text("time_s,force_n\n0,1\n0.01,2\n")
    rec = load_any(tmp_path / "in.csv")
    target = tmp_path / "kept" / "out.csv"
    target.parent.mkdir()
    target.write_text("an older export\n")
    target.chmod(0o600)  # health data the user made private
    (tmp_path / "out.csv").symlink_to(target)
    export_csv(rec, tmp_path / "out.csv", force=True)
    assert (tmp_path / "out.csv").is_symlink()
    assert target.read_text().startswith("time_s,force_n\n") and (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]  # nothing staged left behind


def test_a_csv_with_cr_line_ends_reads_as_its_lf_original(tmp_path):
    # Saved with CR alone between lines (classic Mac OS, a spreadsheet's "CSV (Macintosh)"), the
    # file was one line behind its first comment, and analyze said it had no header row.
    original = (Path(__file__).resolve().parent.parent / "recordings" / "edge_hold_25s.csv").read_bytes()
    markers = b'time_s,kind,data\n1.0,muscle_group,"{""group"":""calves""}"\n'
    outputs = []
    for ends in (b"\n", b"\r"):
        folder = tmp_path / ("cr" if ends == b"\r" else "lf")
        folder.mkdir()
        (folder / "edge.csv").write_bytes(original.replace(b"\n", ends))
        (folder / "edge.markers.csv").write_bytes(markers.replace(b"\n", ends))
        assert [m.data for m in load_any(folder / "edge.csv").markers] == [{"group": "calves"}]
        r = _smr("analyze", str(folder / "edge.csv"))
        assert r.returncode == 0 and r.stderr == "", r.stderr
        outputs.append(r.stdout.replace(str(folder), "FOLDER"))
    assert outputs[0] == outputs[1] and "25.0 s in total" in outputs[0]
    # A line is still named by the line number an editor shows.
    path = tmp_path / "bad.csv"
    path.write_bytes(b"# from my logger\rtime_s,force_n\r0,1\r0.01,x\r")
    with pytest.raises(FileFormatError, match="line 4 has 'x'"):
        load_any(path)

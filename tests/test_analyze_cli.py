"""``smr-sense analyze`` as a user runs it: real files from the simulator, real process, real output."""

import json
import re
import subprocess
import sys

import pytest

SMR = [sys.executable, "-m", "smr_sense"]


def smr(*args, cwd=None, env=None):
    return subprocess.run(SMR + list(args), capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("analyze")
    for name, build in (("imu.smr", "imu"), ("plate.smr", "channels")):
        r = smr("sim", "--seed", "21", "--duration", "150", "--build", build, "--hard", "--out", str(d / name))
        assert r.returncode == 0, r.stderr
    r = smr("export", "--csv", str(d / "imu.csv"), str(d / "imu.smr"))
    assert r.returncode == 0, r.stderr
    return d


def test_json_for_one_file_has_the_documented_shape_and_caps_at_start_plus_cap(files):
    r = smr("analyze", str(files / "imu.smr"), "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert {"duration_s", "sample_rate_hz", "holds", "rolling", "events", "summary"} <= obj.keys()
    assert obj["duration_s"] == pytest.approx(150, abs=0.1) and obj["sample_rate_hz"] == pytest.approx(100, abs=1)
    assert obj["holds"] and obj["rolling"]
    keys = {"start_s", "end_s", "duration_s", "capped", "cap_at_s", "over_cap_s", "mean_force_n", "peak_force_n"}
    keys.add("confirmed_s")  # when the dashboard showed HOLD: its hold_started event, after start_s
    started = [e["t_s"] for e in obj["events"] if e["kind"] == "hold_started"]
    assert started == [h["confirmed_s"] for h in obj["holds"]]
    for h in obj["holds"]:
        assert keys <= h.keys() and h["start_s"] < h["confirmed_s"] < h["end_s"]
        if h["capped"]:
            assert h["cap_at_s"] == pytest.approx(h["start_s"] + 20.0, abs=1e-3)
            assert h["over_cap_s"] == pytest.approx(h["end_s"] - h["cap_at_s"], abs=1e-3)
        else:
            assert h["cap_at_s"] is None and h["duration_s"] < 20.0
    caps = [e for e in obj["events"] if e["kind"] == "hold_cap_reached"]
    assert [c["t_s"] for c in caps] == [h["cap_at_s"] for h in obj["holds"] if h["capped"]]
    truth = json.loads((files / "imu.smr.truth.json").read_text())["segments"]
    true_starts = [s["start_s"] for s in truth if s["kind"] == "hold"]
    for h in obj["holds"]:
        assert min(abs(h["start_s"] - s) for s in true_starts) < 1.0


def test_the_csv_of_a_recording_gives_the_same_holds(files):
    rec = json.loads(smr("analyze", str(files / "imu.smr"), "--json").stdout)
    csv = json.loads(smr("analyze", str(files / "imu.csv"), "--json").stdout)
    # The CSV keeps values to a fixed number of digits: a threshold may be crossed one sample apart.
    assert [h["start_s"] for h in csv["holds"]] == pytest.approx([h["start_s"] for h in rec["holds"]], abs=0.03)
    assert [h["capped"] for h in csv["holds"]] == [h["capped"] for h in rec["holds"]]


def test_several_files_give_an_array_and_a_bad_one_is_one_sentence(files, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    no_time = tmp_path / "notime.csv"
    no_time.write_text("force_n\n1\n2\n")
    r = smr("analyze", str(files / "imu.smr"), str(empty), str(no_time), str(files / "plate.smr"), "--json")
    assert r.returncode == 2
    arr = json.loads(r.stdout)
    assert [o["file"] for o in arr] == [str(files / "imu.smr"), str(files / "plate.smr")]
    assert arr[1]["summary"]["motion_cue"] == "centre_of_pressure"
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert errors == [f"smr-sense: error: {empty} is empty",
                      f"smr-sense: error: {no_time} has no time_s column; an interchange CSV starts with time_s, then force_n or raw_0..k"]
    assert "Traceback" not in r.stderr


def test_table_output(files):
    r = smr("analyze", str(files / "imu.smr"))
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{files / 'imu.smr'}: sim-imu-21, 150.0 s at")
    assert "start s" in r.stdout and "cap at s" in r.stdout


def test_table_columns_line_up_with_unix_epoch_times(tmp_path):
    # A logger stamping Unix time: 13-character times must widen their columns, not shove the rest right.
    t0 = 1_732_400_000.0
    rows = [f"{t0 + i / 100:.2f},{300 if 500 <= i < 5500 else 0}" for i in range(6000)]
    path = tmp_path / "epoch.csv"
    path.write_text("time_s,force_n\n" + "\n".join(rows) + "\n")
    r = smr("analyze", str(path), "--events")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    hold_header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("hold "))
    header, row = lines[hold_header], lines[hold_header + 1]
    assert 1_732_400_005.0 <= float(row.split()[1]) < 1_732_400_006.0  # still from the moment the weight went on
    for column in ("start s", "end s", "length s", "peak N", "cap at s", "over s"):
        end = header.index(column) + len(column)  # right-aligned: every value ends where its heading ends
        assert row[end - 1] != " " and (end == len(row) or row[end] == " "), (column, header, row)
    assert len(row) == len(header)
    assert any(line.startswith("  173240000") and re.search(r" s  contact_started +weight on the roller$", line) for line in lines)
    # In words, as the dashboard's log says them, not as key=value fields.
    ended = next(line for line in lines if " hold_ended " in line)
    assert re.search(r" hold_ended\s+hold ended: \d+\.\d s \(1732400005\.\d\d to 1732400055\.\d\d s\), mean 300 N, peak 300 N, 29\.8 s over the cap$", ended)


def test_recalibrating_an_old_session(files, tmp_path):
    before = json.loads(smr("analyze", str(files / "imu.smr"), "--json").stdout)
    header_cal = before  # the recording's own calibration was used
    rec_cal = json.loads(subprocess.run(
        [sys.executable, "-c", "import json,sys; from smr_sense.recording import load_any; "
         f"print(json.dumps(load_any({str(files / 'imu.smr')!r}).info.calibration))"],
        capture_output=True, text=True, check=True).stdout)
    rec_cal["channels"][0]["n_per_count"] *= 2.0  # a heavier scale factor: every force doubles
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({"version": 1, "device_id": "sim-imu-21", "calibration": rec_cal}))
    after = json.loads(smr("analyze", str(files / "imu.smr"), "--json", "--calibration", str(prof)).stdout)
    assert after["summary"]["peak_force_n"] == pytest.approx(2 * header_cal["summary"]["peak_force_n"], rel=0.01)
    assert not any("made on device" in w for w in after["warnings"])
    # Another roller's profile is allowed (it may be the same hardware, renamed) but never silently.
    prof.write_text(json.dumps({"version": 1, "device_id": "sim-imu-1", "calibration": {**rec_cal, "device_id": "sim-imu-1"}}))
    other = json.loads(smr("analyze", str(files / "imu.smr"), "--json", "--calibration", str(prof)).stdout)
    assert {**other["summary"], "warnings": 0} == {**after["summary"], "warnings": 0}
    assert other["summary"]["warnings"] == len(other["warnings"]) == len(after["warnings"]) + 1
    assert (
        "the calibration given was made on device 'sim-imu-1', and this recording comes from 'sim-imu-21': "
        "its forces are only right if the two are the same roller"
    ) in other["warnings"]
    bad = smr("analyze", str(files / "imu.smr"), "--calibration", str(tmp_path / "missing.json"))
    assert bad.returncode == 2 and bad.stderr.strip() == f"smr-sense: error: {tmp_path / 'missing.json'} does not exist"


@pytest.mark.parametrize(
    "profile, message",
    [
        ('{"channels": ["load"]}', "each channel calibration must be a JSON object with a name"),
        ('{"channels": 5}', "the calibration is not a JSON object with a 'channels' list"),
        ('{"channels": null}', "the calibration is not a JSON object with a 'channels' list"),
        ('{"version": "x", "channels": []}', "the calibration's version 'x' is not a number"),
        ('{"channels": [{"name": "load", "n_per_count": NaN}]}', "the calibration of channel 'load' has a value"),
        ('{"channels": [{"name": "load", "n_per_count": 0}]}', "the calibration of channel 'load' has a value"),
        ('{"calibration": {"channels": []}, "residuals_n": ["a"]}', "is a damaged calibration profile"),
        # Not a calibration at all (an export's .stream.json): no defaults may turn it into 1 N per count.
        ('{"channels": [{"name": "load", "position_m": [0, 0]}]}',
         "the calibration of channel 'load' gives no offset_counts or n_per_count (a linear calibration needs"),
        ('{"channels": [{"name": "load", "model": "power", "offset_counts": 3, "k": 0.1}]}',
         "the calibration of channel 'load' gives no exponent (a power calibration needs offset_counts and k and"),
    ],
)
def test_a_damaged_calibration_file_is_one_sentence(files, tmp_path, profile, message):
    # Each of these was an internal error (or, for NaN and a zero gain, no force at all, silently).
    prof = tmp_path / "p.json"
    prof.write_text(profile)
    r = smr("analyze", str(files / "imu.smr"), "--calibration", str(prof))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"smr-sense: error: {prof}") and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_ceiling_percent_needs_body_mass(files, tmp_path):
    import shutil

    plain = tmp_path / "plain.csv"  # a logger's CSV: no stream description beside it, so no weight
    shutil.copy(files / "imu.csv", plain)
    r = smr("analyze", str(plain), "--ceiling-pct", "40")
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"smr-sense: error: {plain} notes no body weight: give --body-mass for a ceiling in % of body weight"
    )
    ok = json.loads(smr("analyze", str(files / "imu.smr"), "--json", "--ceiling-pct", "20", "--body-mass", "80").stdout)
    assert ok["summary"]["ceiling_n"] == pytest.approx(0.2 * 80 * 9.80665, abs=0.01)
    assert ok["summary"]["ceiling_exceeded"] >= 1


def test_a_simulated_session_knows_its_body_mass_as_replay_does(files):
    """The simulated person's weight is in the stream's info; replay uses it, and so does analyze."""
    from smr_sense.recording import load_any

    mass_kg = load_any(str(files / "imu.smr")).info.extra["body_mass_kg"]
    r = smr("analyze", str(files / "imu.smr"), "--json", "--ceiling-pct", "20")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)["summary"]
    assert summary["ceiling_n"] == pytest.approx(0.2 * mass_kg * 9.80665, abs=0.01)
    # It says which body weight it took: the recording's, since none was given (nothing said so).
    assert summary["ceiling_pct_bw"] == 20 and summary["body_mass_kg"] == round(mass_kg, 2)
    table = smr("analyze", str(files / "imu.smr"), "--ceiling-pct", "20").stdout
    assert f"  ceiling {0.2 * mass_kg * 9.80665:.0f} N (20 % of {round(mass_kg, 2):g} kg body weight) exceeded " in table
    # Given now, the user's weight wins.
    given = json.loads(smr("analyze", str(files / "imu.smr"), "--json", "--ceiling-pct", "20", "--body-mass", "60").stdout)
    assert given["summary"]["ceiling_n"] == pytest.approx(0.2 * 60 * 9.80665, abs=0.01)


def test_a_one_sample_recording_is_analysed_at_its_streams_own_rate(tmp_path):
    # A session stopped at once keeps its one sample; with no time step to measure, the rate is
    # the one the recording's header names (a CSV, with no header to say it, is refused instead).
    r = smr("sim", "--duration", "0.01", "--rate", "80", "--out", str(tmp_path / "one.smr"))
    assert r.returncode == 0, r.stderr
    out = json.loads(smr("analyze", str(tmp_path / "one.smr"), "--json").stdout)
    assert out["summary"]["samples"] == 1 and out["sample_rate_hz"] == 80.0 and out["duration_s"] == 0.0


def test_the_summary_counts_the_files_own_warnings_too(files, tmp_path):
    # A recording cut off mid-write warns as it is read; the summary said "warnings": 0 beside it.
    cut = tmp_path / "cut.smr"
    cut.write_bytes((files / "imu.smr").read_bytes()[:-37])
    r = smr("analyze", str(cut), "--json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert any("cut off" in w for w in obj["warnings"])
    assert obj["summary"]["warnings"] == len(obj["warnings"]) >= 1


def test_the_table_rounds_a_holds_force_once_as_record_does():
    # A mean of 238.5003 N: record said "mean 239 N", analyze's table 238 (rounded to 238.5 for the
    # JSON first, then to the even 238).
    from smr_sense.cli.analyze import format_table
    from smr_sense.core.events import HoldEnded
    from smr_sense.core.session import HoldStats

    stats = HoldStats(10.0, 19.0, 9.0, 238.5003, 250.5002, False, None, 0.0, 11.0)
    said = HoldEnded(19.5, 10.0, 19.0, 9.0, 238.5003, 250.5002, False, None, 0.0).text()
    summary = {"motion_cue": "force_fluctuation", "holds": 1, "holds_capped": 0, "hold_cap_s": 20.0, "hold_time_s": 9.0,
               "longest_hold_s": 9.0, "rolling_stretches": 0, "rolling_time_s": 0.0, "peak_force_n": 250.5}
    obj = {"file": "x.smr", "device_id": "x", "duration_s": 30.0, "sample_rate_hz": 80.0, "summary": summary,
           "holds": [stats.to_json()], "rolling": [], "events": []}
    row = format_table(obj).splitlines()[3].split()
    assert "mean 239 N, peak 251 N" in said
    assert row[4:6] == ["239", "251"]


def test_events_with_json_is_refused_in_one_sentence_not_ignored(files):
    # --json already carries "events"; --events was silently ignored beside it.
    r = smr("analyze", str(files / "imu.smr"), "--json", "--events")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == 'smr-sense: error: --events is for the table: --json already lists every event under "events"\n'


def test_warning_0_turns_the_warning_off_and_keeps_the_caps_alarm(files):
    # As the README says: no hold_warning event, the same hold_cap_reached ones.
    def kinds(*extra):
        r = smr("analyze", str(files / "imu.smr"), "--json", *extra)
        assert r.returncode == 0, r.stderr
        return [e["kind"] for e in json.loads(r.stdout)["events"]]

    default, off = kinds(), kinds("--warning", "0")
    assert "hold_warning" in default and "hold_warning" not in off
    assert off.count("hold_cap_reached") == default.count("hold_cap_reached") > 0


def test_every_kind_an_event_line_names_leaves_its_words_in_one_column():
    # "hold_start_revised" was one character wider than the column: its words began a place early.
    from smr_sense.core import events as ev
    from smr_sense.core.pipeline import CALIBRATION_ENDED, CALIBRATION_STARTED

    kinds = [c.kind for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.Event) and c is not ev.Event]
    kinds += [CALIBRATION_STARTED, CALIBRATION_ENDED, "muscle_group", "disconnected", "reconnected", "refused"]
    starts = {ev.log_line(12.5, kind, "words").index("words") for kind in kinds}
    assert len(kinds) > 12 and len(starts) == 1

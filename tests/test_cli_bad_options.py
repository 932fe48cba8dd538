"""Bad option values a new user types: each is refused in one sentence, before anything runs.

In-process through ``smr_sense.cli.main`` (the same code path as the console script), so that
argparse's refusals (exit 2 via SystemExit) and our own (SmrError, exit 2) are both seen.
"""

import asyncio
import json
import math
import os
import signal
import sys

import pytest

from smr_sense.cli import main
from smr_sense.profiles import CONFIG_ENV
from smr_sense.sources import SourceError, make_source, parse_source_spec


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    # No saved body weight or ceiling from the machine's own user settings.
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "cfg"))


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad") / "s.smr"
    assert main(["sim", "--seed", "21", "--duration", "150", "--out", str(path)]) == 0
    return path


def refused(capsys, argv):
    """Run ``smr-sense argv``; it must fail with one line on stderr, which is returned."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a value with exit 2
        code = exc.code
    err = capsys.readouterr().err
    assert code != 0, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


# --- 1 and 11: file messages -----------------------------------------------------------------------


def test_repeated_time_is_reported_as_plain_numbers(tmp_path, capsys):
    dup = tmp_path / "dup.csv"
    dup.write_text("time_s,force_n\n0.0,1\n0.01,2\n0.01,3\n0.02,4\n")
    err = refused(capsys, ["analyze", str(dup)])
    assert err == f"smr-sense: error: {dup}: time repeats at line 4 (t = 0.01 s after 0.01 s)"


def test_a_text_file_named_smr_is_not_a_recording(tmp_path, capsys):
    text = tmp_path / "text.smr"
    text.write_text("hello\n")
    err = refused(capsys, ["analyze", str(text)])
    assert err.startswith(f"smr-sense: error: {text} is not an smr-sense recording")
    # Content still decides: a real CSV under an .smr name loads.
    csv = tmp_path / "csv.smr"
    csv.write_text("time_s,force_n\n" + "".join(f"{i / 100},{50 + i % 7}\n" for i in range(300)))
    assert main(["analyze", str(csv), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["samples"] == 300


# --- 2, 3, 4: numbers through source specs, sim limits, sim source options -------------------------


def test_numbers_with_an_exponent_survive_the_source_spec():
    assert parse_source_spec("sim:?rate=1e+03&speed=2.5e+01").options == {"rate": "1e+03", "speed": "2.5e+01"}
    assert parse_source_spec("sim:?seed=3&build=a%2Bb").options["build"] == "a+b"


def test_speed_max_on_the_command_line_is_what_speed_max_in_a_source_is():
    # `replay:x.smr?speed=max` played as fast as it could; `replay x.smr --speed max` was "not a number".
    from smr_sense.cli import build_parser
    from smr_sense.cli.common import speed_factor, speed_option
    from smr_sense.cli.demo import demo_source

    assert speed_factor("max") == speed_factor("Max") == speed_factor("fast") == math.inf  # as a source's speed=fast
    # The spec is also what the dashboard's header shows: "speed=max", as the user typed, not "speed=inf".
    assert speed_option(speed_factor("max")) == "max" and speed_option(speed_factor("2.50")) == "2.5"
    assert parse_source_spec(f"replay:x.smr?speed={speed_option(math.inf)}").speed_option() == math.inf
    assert "&speed=max" in demo_source(build_parser().parse_args(["demo", "--speed", "max"]))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--no-record", "--rate", "1000000"], "argument --rate: '1000000' is not a sample rate between 5 and 2000 Hz"),
        (["sim", "--rate", "1e9", "--out", "big.smr"], "argument --rate: '1e9' is not a sample rate between 5 and 2000 Hz"),
        (["emulate", "--pty", "--rate", "3"], "argument --rate: '3' is not a sample rate between 5 and 2000 Hz"),
        (["demo", "--no-record", "--speed", "1e7"], "is above 1000 times real time"),
        (["replay", "x.smr", "--speed", "inf"], "is not a finite number"),
        (["replay", "x.smr", "--speed", "0.01"], "argument --speed: '0.01' is below 0.25 times real time"),
        (["calibrate", "--point-s", "1e9"], "argument --point-s: '1e9' is not a time per weight between 1 and 10 s"),
        (["calibrate", "--tare-s", "0.5"], "argument --tare-s: '0.5' is not a time to zero over between 1 and 5 s"),
        (["sim", "--duration", "1e9", "--out", "big.smr"], "more than 24 h"),
        (["sim", "--seed", "-1", "--out", "neg.smr"], "must be zero or more"),
        (["sim", "--channels", "2", "--out", "big.smr"], "--channels is for --build channels; the imu build has one"),
        # 255 % of body weight was accepted in N where 101 % was refused: it could never sound.
        (["demo", "--no-record", "--body-mass", "80", "--ceiling", "2000"],
         "--ceiling 2000 N is above 100 % of body weight (785 N for 80 kg)"),
    ],
)
def test_demo_and_sim_numbers_give_the_real_reason(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert message in refused(capsys, argv)
    assert not (tmp_path / "big.smr").exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("sim:?speed=max&duration=-5", "sim source: duration must be above zero seconds"),
        ("sim:?duration=nan", "source option duration='nan' is not a number"),
        ("sim:?mass=-80", "sim source: a body mass of -80 kg is outside 20-300 kg"),
        ("sim:?mass=1000", "outside 20-300 kg"),
        ("sim:?seed=-1", "sim source: seed must be zero or more"),
        ("sim:?build=force&channels=2", "sim source: channels is for build=channels; the force build has one"),
        ("sim:?rate=1e+06", "sim source: a rate of 1e+06 Hz is outside 5-2000 Hz"),  # was "1000000.0 Hz"
        ("sim:?drop=1", "sim source: drop is the share of samples lost, at least 0 and under 0.5; 1 is not"),
        ("sim:?drop=-0.1", "sim source: drop is the share of samples lost, at least 0 and under 0.5; -0.1 is not"),
        # "from 0 up to 0.5; 0.5 is not" contradicted itself
        ("sim:?drop=0.5", "sim source: drop is the share of samples lost, at least 0 and under 0.5; 0.5 is not"),
        ("sim:?speed=1e+07", "sim source: speed 1e+07 is above 1000 times real time"),
        ("replay:x.smr?speed=5000", "replay source: speed 5000 is above 1000 times real time"),
        ("replay:x.smr?speed=0.01", "replay source: speed 0.01 is below 0.25 times real time"),
        ("sim:?hard=maybe", "source option hard='maybe' is not yes or no"),
        ("sim:?hard=", "source option hard='' is not yes or no"),
    ],
)
def test_sim_source_options_are_checked(text, message):
    with pytest.raises(SourceError, match=message.replace("+", r"\+")):
        make_source(text)


@pytest.mark.parametrize(
    "text, hard", [("sim:?hard=1", True), ("sim:?hard=Yes", True), ("sim:?hard=0", False),
                   ("sim:?hard=off", False), ("sim:", False)],
)
def test_sim_hard_takes_yes_or_no(text, hard):
    assert make_source(text).config.hard is hard


@pytest.mark.parametrize("scheme", ["serial:/dev/ttyUSB0", "ble:"])
def test_reconnect_takes_yes_or_no_as_hard_does(scheme):
    # "reconnect=off" meant reconnect, as did "reconnect=maybe": only 0/no/false turned it off.
    assert make_source(f"{scheme}?reconnect=off").reconnect is False
    assert make_source(f"{scheme}?reconnect=yes").reconnect is True
    assert make_source(scheme).reconnect is True
    with pytest.raises(SourceError, match="source option reconnect='maybe' is not yes or no"):
        make_source(f"{scheme}?reconnect=maybe")


def test_record_refuses_a_negative_sim_duration(tmp_path, capsys):
    err = refused(capsys, ["record", "--source", "sim:?speed=max&duration=-5", "--out", str(tmp_path / "r3.smr")])
    assert err == "smr-sense: error: sim source: duration must be above zero seconds"
    assert not (tmp_path / "r3.smr").exists()


# --- 5: analyze / dashboard session options ---------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--warning", "nan"], "argument --warning: 'nan' is not a number"),
        (["--warning", "30"], "--warning 30 s must be shorter than the 20 s hold cap"),
        (["--hold-cap", "inf"], "argument --hold-cap: 'inf' is not a finite number"),
        (["--hold-cap", "nan"], "argument --hold-cap: 'nan' is not a number"),
        (["--hold-cap", "1e9"], "argument --hold-cap: '1e9' is not a hold cap between 5 and 300 s"),
        (["--hold-cap", "-3"], "argument --hold-cap: '-3' is not a hold cap between 5 and 300 s"),
        (["--body-mass", "0.001"], "argument --body-mass: '0.001' is not a body weight between 20 and 300 kg"),
        (["--ceiling", "100", "--ceiling-pct", "50", "--body-mass", "80"], "not allowed with argument --ceiling"),
        (["--ceiling-pct", "150", "--body-mass", "80"], "--ceiling-pct 150 is above 100 % of body weight"),
        (["--ceiling", "1e9"], "--ceiling 1e+09 N is above 2942 N, the weight of a 300 kg person"),
        # Taken, then "exceeded 108 times": every touch of the roller is above it.
        (["--ceiling", "1e-300"], "--ceiling 1e-300 N is below 25 N, the force that counts as someone on the roller: "
                                  "it would sound at every touch"),
        (["--ceiling-pct", "0.01", "--body-mass", "80"], "--ceiling-pct 0.01 is below 1 % of body weight"),
        (["--ceiling-pct", "2", "--body-mass", "80"], "--ceiling-pct 2 is below 25 N, the force that counts as someone "
                                                      "on the roller: it would sound at every touch (for 80 kg)"),
    ],
)
def test_analyze_refuses_bad_session_options(rec, capsys, extra, message):
    assert message in refused(capsys, ["analyze", str(rec), *extra])


@pytest.mark.parametrize("command", [["demo", "--no-record"], ["live", "--source", "sim", "--no-record"], ["replay", "x.smr"]])
def test_dashboards_refuse_the_same_session_options(capsys, command):
    assert "not allowed with argument --ceiling" in refused(capsys, [*command, "--ceiling", "100", "--ceiling-pct", "50"])
    assert "'inf' is not a finite number" in refused(capsys, [*command, "--hold-cap", "inf"])
    assert "'nan' is not a number" in refused(capsys, [*command, "--body-mass", "nan"])
    assert "is not a body weight between 20 and 300 kg" in refused(capsys, [*command, "--body-mass", "2000"])
    assert "is not a hold cap between 5 and 300 s" in refused(capsys, [*command, "--hold-cap", "2"])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--ceiling-pct", "40"], "a ceiling in % of body weight needs your body weight: give --body-mass KG too"),
        (["--unit", "%BW"], "--unit %BW needs your body weight: give --body-mass KG too"),
    ],
)
def test_live_refuses_a_share_of_body_weight_without_one(tmp_path, monkeypatch, capsys, extra, message):
    # A safety ceiling dropped unsaid would be worse than no dashboard: said before the port opens.
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path))  # no body weight saved by a wizard
    assert refused(capsys, ["live", "--source", f"serial:{tmp_path / 'no-port'}", "--no-record", *extra]) == (
        f"smr-sense: error: {message}"
    )


@pytest.mark.parametrize("taken", ["x.smr", "x.summary.json", "x.summary.md"])
def test_a_dashboard_never_records_over_a_session_or_its_summary(tmp_path, capsys, taken):
    # The summary may be another session's report for a trainer: it is not overwritten either.
    (tmp_path / taken).write_text("kept")
    err = refused(capsys, ["demo", "--record", str(tmp_path / "x.smr")])
    assert err == f"smr-sense: error: {tmp_path / taken} already exists; use --force to replace it, or choose another --record file"
    assert (tmp_path / taken).read_text() == "kept"


@pytest.mark.parametrize("command", [["demo"], ["live", "--source", "sim"]])
def test_force_for_a_dashboard_names_the_file_it_replaces(capsys, command):
    # A name the app chooses is always free: --force alone would replace nothing, and say nothing.
    for argv in ([*command, "--force"], [*command, "--force", "--no-record"]):
        assert refused(capsys, argv) == "smr-sense: error: --force replaces the file given with --record; give --record FILE too"


def test_force_never_records_over_the_file_being_replayed(rec, capsys):
    from smr_sense.recording import load_any

    assert refused(capsys, ["live", "--source", f"replay:{rec}", "--record", str(rec), "--force"]) == (
        f"smr-sense: error: {rec} is the file being read; write to another file"
    )
    assert len(load_any(rec).block) > 0


@pytest.mark.parametrize("command", [["demo", "--no-record"], ["replay"]])
def test_a_dashboard_without_a_terminal_is_one_sentence_not_a_spinning_core(rec, capsys, command):
    # Under pytest stdin and stdout are not terminals, as with `smr-sense replay x.smr </dev/null &`.
    argv = [*command, str(rec)] if command == ["replay"] else command
    assert refused(capsys, argv) == (
        "smr-sense: error: the dashboard needs a terminal for its input and output; "
        "to record without one use `smr-sense record`, to summarise a file `smr-sense analyze`"
    )


@pytest.mark.parametrize("start", ["-5", "150", "1e6"])
def test_a_start_outside_the_replay_is_said_before_the_missing_terminal(rec, capsys, start):
    # Without a terminal, --start -5 was answered "the dashboard needs a terminal": run in one, it
    # would then have failed for the start. The fix for both is told first: the start.
    err = refused(capsys, ["replay", str(rec), "--start", start])
    assert err == f"smr-sense: error: a start at {float(start):g} s is outside {rec}, which lasts 150.0 s"


@pytest.mark.parametrize("argv", [["sim", "--out"], ["record", "--source", "sim", "--out"], ["demo", "--record"]])
def test_a_recording_is_not_sent_to_standard_output_as_a_file_called_dash(tmp_path, capsys, monkeypatch, argv):
    # export --csv - is standard output; record --out - wrote a file named "-".
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, [*argv, "-"])
    assert err.endswith("a recording cannot go to standard output: give the name of a file (see smr-sense "
                        f"{argv[0]} --help)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["sim", "--duration", "5", "--out"], ["record", "--source", "sim:?speed=max&duration=5", "--out"], ["demo", "--record"],
        ["demo", "--out"], ["live", "--source", "sim", "--out"],  # as record and sim name it ("unknown option --out")
    ],
)
def test_a_recording_into_a_missing_folder_is_refused_not_made(tmp_path, capsys, argv):
    # A mistyped path would otherwise leave a tree of folders behind.
    out = tmp_path / "no" / "such" / "x.smr"
    err = refused(capsys, [*argv, str(out)])
    assert err.endswith(f"the folder {out.parent} does not exist")
    assert not (tmp_path / "no").exists()


def test_a_folder_given_for_an_output_file_is_named_as_such(tmp_path, capsys):
    # "already exists; use --force" sent the user to --force, which then failed on the folder.
    for argv in (
        ["sim", "--duration", "5", "--out", str(tmp_path)], ["sim", "--duration", "5", "--force", "--out", str(tmp_path)],
        ["demo", "--record", str(tmp_path)],  # "already exists; choose another --record file" said less
    ):  # fmt: skip
        assert refused(capsys, argv) == f"smr-sense: error: {tmp_path} is a folder; give the name of a file to write"


@pytest.mark.parametrize("name, said", [(".", "."), ("/", "/")])
def test_an_output_name_that_is_no_file_name_is_one_sentence(tmp_path, capsys, monkeypatch, rec, name, said):
    # Naming the truth, description and markers beside "." or "/" was an internal error (exit 70).
    monkeypatch.chdir(tmp_path)
    for argv in (["sim", "--duration", "5", "--out", name], ["export", str(rec), "--csv", name]):
        assert refused(capsys, argv) == f"smr-sense: error: {said} is a folder; give the name of a file to write"


@pytest.mark.parametrize("name, said", [
    # "" is "." as a path: "--csv ''" (an unset shell variable) read ". is a folder".
    ("", "the output file name is empty"),
    # As a path "x.smr/" is "x.smr": the file was written under the name the user marked as a folder.
    ("x.smr/", "x.smr/ ends in '/', so it names a folder;"),
])
def test_an_output_name_that_names_no_file_is_refused_by_its_option(tmp_path, capsys, monkeypatch, rec, name, said):
    monkeypatch.chdir(tmp_path)
    for argv, option in [
        (["export", str(rec), "--csv", name], "--csv"), (["sim", "--out", name], "--out"),
        (["record", "--source", "sim", "--out", name], "--out"), (["demo", "--record", name], "--record/--out"),
    ]:  # fmt: skip
        assert refused(capsys, argv).startswith(f"smr-sense {argv[0]}: error: argument {option}: {said}")
    assert list(tmp_path.iterdir()) == []


def test_a_replay_summary_is_dated_when_the_recording_was_made(rec):
    from smr_sense.report import recorded_at
    from smr_sense.recording import load_any

    import datetime as dt

    header = load_any(rec).header
    made = dt.datetime.fromisoformat(recorded_at(header))
    # The same moment as the header's UTC time, to the minute, and with its offset: a date without
    # one reads differently to a trainer in another zone.
    assert made.utcoffset() is not None
    assert made == dt.datetime.fromisoformat(header["created_utc"]).replace(second=0, microsecond=0)
    # A header time without an offset is UTC, not the local clock.
    assert dt.datetime.fromisoformat(recorded_at({"created_utc": "2026-11-24T10:00:30"})) == dt.datetime(
        2026, 11, 24, 10, 0, tzinfo=dt.timezone.utc)
    assert recorded_at({}) is None and recorded_at({"created_utc": "yesterday"}) is None


def test_record_refuses_an_infinite_hold_cap(tmp_path, capsys):
    assert "'inf' is not a finite number" in refused(capsys, ["record", "--out", str(tmp_path / "r.smr"), "--hold-cap", "inf"])
    assert "between 5 and 300 s" in refused(capsys, ["record", "--out", str(tmp_path / "r.smr"), "--hold-cap", "1e9"])


# --- 6: calibrate weights ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights, message",
    [
        ("5,5", "5 kg is listed twice"),
        ("5,10,5.0", "5 kg is listed twice"),
        ("0,5", "weights must be above 0 and at most 300 kg"),
        ("5,inf", "weights must be above 0 and at most 300 kg"),
        ("5,1e9", "weights must be above 0 and at most 300 kg"),
        ("5,nan", "weights must be above 0 and at most 300 kg"),
    ],
)
def test_calibrate_refuses_repeated_or_impossible_weights_up_front(capsys, weights, message):
    assert message in refused(capsys, ["calibrate", "--source", "sim", "--weights", weights])


# --- 7, 8, 9: help and table output ----------------------------------------------------------------


def test_calibration_option_names_the_recordings_own_the_same_way(capsys):
    helps = {}
    for command in ("analyze", "replay"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = " ".join(capsys.readouterr().out.split())
    for text in helps.values():
        assert "'recorded' (the default: the recording's own)" in text
        assert "'none'" not in text


@pytest.mark.parametrize("command", ["analyze", "replay"])
def test_an_empty_calibration_choice_is_refused_not_read_as_the_recordings_own(rec, capsys, command):
    err = refused(capsys, [command, str(rec), "--calibration", ""])
    assert "give recorded, profile or a calibration file, not an empty value" in err


def test_table_lists_rolling_stretches_and_counts_in_words(rec, capsys):
    assert main(["analyze", str(rec), "--json", "--ceiling", "150"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert main(["analyze", str(rec), "--ceiling", "150"]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = lines.index(f"  {'rolling':>7} {'start s':>9} {'end s':>9} {'length s':>9}")
    rows = lines[head + 1 : head + 1 + len(obj["rolling"])]
    assert obj["rolling"] and len(rows) == len(obj["rolling"])
    for row, r in zip(rows, obj["rolling"]):
        i, start, end, length = row.split()
        assert (float(start), float(end)) == (round(r["start_s"], 2), round(r["end_s"], 2))
        assert float(length) == pytest.approx(r["end_s"] - r["start_s"], abs=0.006)
    n = obj["summary"]["ceiling_exceeded"]
    assert f"  ceiling 150 N exceeded {n} time{'' if n == 1 else 's'}" in lines
    assert not any("1 times" in line for line in lines)


def test_json_has_no_negative_zero(tmp_path, capsys):
    # Seed 3's first sample is stamped a hair before zero (timestamp jitter): it rounds to -0.0.
    path = tmp_path / "n3.smr"
    assert main(["sim", "--seed", "3", "--duration", "5", "--out", str(path)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["summary"]["start_s"] == 0.0
    assert "-0.0," not in out and "-0.0}" not in out


def test_event_log_names_every_group_by_its_label():
    from smr_sense.core.samples import Marker
    from smr_sense.tui.phrases import describe_marker

    # The simulated person sends the key; the dashboard sends key and label: both read the same.
    assert describe_marker(Marker(1.0, "muscle_group", {"group": "hamstrings"}), 0.0).endswith("Now: Hamstrings")
    assert describe_marker(Marker(1.0, "muscle_group", {"group": "it_band", "label": "IT band / TFL"}), 0.0).endswith(
        "Now: IT band / TFL"
    )


async def test_sim_source_group_markers_carry_the_label():
    source = make_source("sim:?speed=max&duration=5")
    async with source:
        async for item in source:
            if getattr(item, "kind", None) == "muscle_group":
                assert item.data == {"group": "calves", "label": "Calves"}
                return
    pytest.fail("no muscle_group marker in 5 s")


# --- 10: the emulator's link goes when its terminal does --------------------------------------------


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
async def test_emulator_removes_its_link_on_hangup_and_terminate(tmp_path, sig):
    link = tmp_path / "roller"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smr_sense", "emulate", "--pty", "--link", str(link),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert os.path.realpath(link) == first
        proc.send_signal(sig)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0 and b"Traceback" not in err, err
    assert not os.path.lexists(link)


@pytest.mark.parametrize(
    "content, message",
    [('{"calibration": ', "is not a calibration profile: not valid JSON (line 1)"),
     (b"\xff\xfe\x00", "is not a calibration profile: it is not text")],
)
def test_a_broken_profile_file_is_named_in_words_not_by_exception_class(rec, tmp_path, capsys, content, message):
    path = tmp_path / "profile.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    err = refused(capsys, ["analyze", str(rec), "--calibration", str(path)])
    assert err == f"smr-sense: error: {path} {message}" and "Error" not in err


def test_an_option_of_another_command_points_to_this_commands_help(capsys):
    # --body-mass belongs to the dashboard commands, not to calibrate: the hint names the help that
    # lists what calibrate does take.
    err = refused(capsys, ["calibrate", "--source", "sim", "--body-mass", "70"])
    assert err == "smr-sense calibrate: error: unknown option --body-mass (see smr-sense calibrate --help)"
    assert refused(capsys, ["--bogus"]).endswith("(see smr-sense --help)")


def test_a_replay_takes_the_recordings_settings_not_todays_saved_ones(rec):
    # The wizard saved a ceiling today; a replay of a session that had none used it, so the replay
    # reported ceiling events that neither the live session nor `analyze` of the same file had.
    from smr_sense.cli import build_parser
    from smr_sense.cli.live import settings_from
    from smr_sense.cli.replay import _settings_as_recorded
    from smr_sense.tui.user_settings import UserSettings, save_user_settings

    save_user_settings(UserSettings(body_mass_kg=80.0, ceiling_n=400.0))

    def settings(argv, extra):
        args = build_parser().parse_args(argv)
        if args.command == "replay":
            _settings_as_recorded(args, extra)
        return settings_from(args)

    none = settings(["replay", str(rec)], {})
    assert (none.body_mass_kg, none.ceiling_force_n) == (None, None)
    noted = settings(["replay", str(rec)], {"body_mass_kg": 70.0, "ceiling_n": 300.0})
    assert (noted.body_mass_kg, noted.ceiling_force_n) == (70.0, 300.0)
    given = settings(["replay", str(rec), "--ceiling", "250"], {"ceiling_n": 300.0})
    assert given.ceiling_force_n == 250.0
    live = settings(["demo"], {})  # a new session starts from what the wizard saved
    assert (live.body_mass_kg, live.ceiling_force_n) == (80.0, 400.0)


@pytest.mark.parametrize(
    "argv, message",
    [
        # argparse checks required options first, so the typo hid behind "--out is required".
        (["record", "--outt", "x.smr"], "smr-sense record: error: unknown option --outt (did you mean --out?)"),
        (["analyze", "--jsn", "x.smr"], "smr-sense analyze: error: unknown option --jsn (did you mean --json?)"),
        (["analyze", "x.smr", "--zzz"], "smr-sense analyze: error: unknown option --zzz (see"),
        (["calibrate", "--weights", "-5,10"], "argument --weights: to give a value that starts with '-', write --weights=-5,10"),
        (["record", "--out"], "argument --out: expected one argument"),
        (["analyze"], "the following arguments are required: FILE"),
    ],
)
def test_a_usage_mistake_names_the_mistake(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert message in refused(capsys, argv)
    assert not (tmp_path / "x.smr").exists()


@pytest.mark.parametrize("argv", [
    ["sim", "--duration", "5", "--out", "{d}/s.csv"],
    ["record", "--source", "sim", "--duration", "5", "--out", "{d}/s.CSV"],
    ["demo", "--record", "{d}/s.csv"],
])
def test_a_recording_named_csv_is_refused_and_the_way_to_a_csv_is_said(tmp_path, capsys, argv):
    # It used to be written as a binary .smr under the .csv name: a spreadsheet shows noise.
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    err = refused(capsys, argv)
    name = argv[-1]
    stem = name[:-4]
    assert err.endswith(
        f"{name} would be a recording (smr-sense's own format), not a CSV; record to {stem}.smr, "
        f"then smr-sense export {stem}.smr --csv {name} (see smr-sense {argv[0]} --help)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("saved, ceiling_pct", [(None, 50.0), ((80.0, None, None), None), ((80.0, 400.0, None), None)])
def test_the_demo_s_own_ceiling_is_only_for_a_user_who_has_not_chosen_one(saved, ceiling_pct):
    # The wizard's "Empty: no ceiling" was saved as null and read back as "never said", so the
    # demo put its 50 % ceiling back on the screen of a user who had chosen none.
    from smr_sense.cli import build_parser
    from smr_sense.cli.demo import demo_ceiling
    from smr_sense.tui.user_settings import UserSettings, save_user_settings

    if saved is not None:
        save_user_settings(UserSettings(*saved))
    args = build_parser().parse_args(["demo"])
    demo_ceiling(args)
    assert args.ceiling_pct == ceiling_pct

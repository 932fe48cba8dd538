"""The session summary: per-group figures, the JSON form and the trainer's Markdown, saved beside the recording."""

import json
import subprocess
import sys
from pathlib import Path

from smr_sense.core.events import CeilingExceeded, HoldEnded, HoldStarted, RollingStarted, SignalLost
from smr_sense.core.samples import Marker
from smr_sense.report import save_summary, summarize, summary_markdown, summary_paths, summary_to_json
from smr_sense.routine import RoutineTracker


def session():
    return summarize(session_tracker(ceiling=True), source="sim", device_id="sim-imu-7", duration_s=70.0,
                     hold_cap_s=20.0, body_mass_kg=80.0, ceiling_n=450.0, started_at="2026-05-09T10:00+02:00")


def session_tracker(ceiling: bool = False):
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_event(HoldStarted(11.0, start_s=10.0))
    if ceiling:
        r.apply_event(CeilingExceeded(12.0, force_n=452.0, ceiling_n=450.0))
    r.apply_event(HoldEnded(35.0, 10.0, 35.0, 25.0, 300.0, 380.0, True, 30.0, 5.0))
    r.apply_event(RollingStarted(35.0))
    r.apply_event(HoldStarted(46.0, start_s=45.0))
    r.apply_event(HoldEnded(60.0, 45.0, 60.0, 15.0, 200.0, 250.0, False, None, 0.0))
    r.apply_marker(Marker(60.0, "muscle_group", {"group": "hamstrings"}))
    r.apply_event(RollingStarted(61.0))
    r.close(70.0)
    return r


def test_per_group_figures():
    s = session()
    calves, hams = s.groups[0], s.groups[1]
    assert (calves.hold_count, calves.hold_s, calves.longest_hold_s, calves.caps, calves.over_cap_s) == (2, 40.0, 25.0, 1, 5.0)
    assert calves.mean_force_n == (300.0 * 25 + 200.0 * 15) / 40
    assert calves.peak_force_n == 380.0
    assert calves.rolling_s == 10.0 + 10.0
    # Rolling after a hold began when the hold ended (60 s), not when it was announced (61 s).
    assert hams.hold_count == 0 and hams.rolling_s == 10.0 and hams.mean_force_n is None
    assert (s.holds, s.caps, s.over_cap_s) == (2, 1, 5.0)


def test_json_and_markdown_say_the_same_thing():
    s = session()
    obj = summary_to_json(s)
    assert obj["totals"] == {"holds": 2, "caps_reached": 1, "over_cap_s": 5.0, "rolling_s": 30.0, "ceiling_exceeded": 1,
                             "signal_lost": 0, "signal_lost_s": 0.0, "signal_lost_at_end": False}
    assert obj["groups"][0]["group"] == "calves" and len(obj["groups"][0]["hold_list"]) == 2
    md = summary_markdown(s)
    assert "| Calves | 2 | 40 s | 25 s | 262 N (33 % BW) | 380 N (48 % BW) | 1 | 5.0 s | 0:20 |" in md
    assert "| Quads | - |" in md
    assert "A session of 1:10 min on sim-imu-7 (sim), started 2026-05-09 10:00 UTC+02:00." in md
    assert "1 hold reached the 20 s cap and went on 5.0 s past it" in md
    assert "Not worked: Quads, Adductors, Glutes, IT band / TFL, Lower back, Upper back, Lats." in md


def test_seconds_over_the_cap_of_several_holds_are_said_to_be_their_total():
    r = session_tracker()
    r.apply_event(HoldStarted(71.0, start_s=70.0))
    r.apply_event(HoldEnded(93.0, 70.0, 93.0, 23.0, 300.0, 320.0, True, 90.0, 3.0))
    s = summarize(r, source="sim", device_id="d", duration_s=100.0, hold_cap_s=20.0)
    assert "2 holds reached the 20 s cap and went on 8.0 s past it in all: release at the alarm." in summary_markdown(s)


def test_every_measure_in_the_json_is_a_float_even_for_a_group_without_holds():
    # Hamstrings had no hold: its hold time was the int 0 (a sum over nothing) beside Calves' 40.0.
    s = summarize(session_tracker(), source="sim", device_id="d", duration_s=70.0, hold_cap_s=20, body_mass_kg=80)
    obj = summary_to_json(s)
    assert obj["groups"][1]["holds"] == 0
    seconds = ("hold_s", "longest_hold_s", "over_cap_s", "rolling_s")
    assert all(isinstance(g[k], float) for g in obj["groups"] for k in seconds), obj["groups"][1]
    assert isinstance(obj["totals"]["over_cap_s"], float) and isinstance(obj["totals"]["rolling_s"], float)
    assert isinstance(obj["hold_cap_s"], float) and isinstance(obj["body_mass_kg"], float)


def test_a_lost_signal_reaches_the_trainers_report():
    # analyze said "signal lost 1 time"; the summary's JSON and Markdown said nothing of it.
    r = session_tracker()
    r.apply_event(SignalLost(64.0, gap_s=1.5))
    never_back = session_tracker()
    never_back.apply_event(SignalLost(66.0, gap_s=None))  # the link dropped and the session ended
    r.apply_event(SignalLost(66.0, gap_s=1.94))
    s = summarize(r, source="sim", device_id="d", duration_s=70.0, hold_cap_s=20.0)
    assert (summary_to_json(s)["totals"]["signal_lost"], summary_to_json(s)["totals"]["signal_lost_s"]) == (2, 3.44)
    assert "- The roller's signal was lost 2 times (3.4 s without samples, not counted)." in summary_markdown(s)
    lost = summarize(never_back, source="sim", device_id="d", duration_s=70.0, hold_cap_s=20.0)
    # It has no length, and "0.0 s" read as none lost: said instead as the end of what was measured.
    assert "- The roller's signal was lost 1 time; the last time it did not come back, so the session ends there." in (
        summary_markdown(lost))
    assert summary_to_json(lost)["totals"]["signal_lost_at_end"] is True
    assert summary_to_json(s)["totals"]["signal_lost_at_end"] is False
    assert "signal" not in summary_markdown(session())


def test_a_session_counts_the_gaps_the_dashboard_announced():
    from smr_sense.core.samples import interleave
    from smr_sense.core.settings import SessionSettings
    from smr_sense.recording import load_any
    from smr_sense.tui.session import DashboardSession

    rec = load_any(Path(__file__).parent.parent / "recordings" / "edge_dropout.csv")  # 2 s without samples
    live = DashboardSession(SessionSettings())
    live.start(rec.info)
    for item in interleave(rec.block, rec.markers):
        live.mark(item) if isinstance(item, Marker) else live.feed(item)
    summary = live.finish().summary
    assert summary.signal_lost == 1 and abs(summary.signal_lost_s - 2.01) < 0.01


def test_saved_beside_the_recording(tmp_path):
    rec = tmp_path / "session-1.smr"
    json_path, md_path = save_summary(session(), rec)
    assert (json_path, md_path) == summary_paths(rec)
    assert json_path.name == "session-1.summary.json" and md_path.name == "session-1.summary.md"
    assert json.loads(json_path.read_text())["device_id"] == "sim-imu-7"
    assert md_path.read_text().startswith("# Foam-rolling session")


def test_a_csv_exported_beside_its_recording_has_a_summary_of_its_own(tmp_path):
    # export session.smr --csv session.csv, then replaying each: the second was "already exists",
    # and with --force the CSV's summary replaced the live session's own.
    smr, csv = summary_paths(tmp_path / "session.smr"), summary_paths(tmp_path / "session.csv")
    assert [p.name for p in smr] == ["session.summary.json", "session.summary.md"]
    assert [p.name for p in csv] == ["session.csv.summary.json", "session.csv.summary.md"]
    assert summary_paths(tmp_path / "OLD.SMR")[0].name == "OLD.summary.json"


def test_a_summary_the_disk_refuses_leaves_nothing_half_written(tmp_path):
    # A full disk left a 0-byte session-1.summary.json.tmp beside the recording. A real refusal, in
    # a process of its own: a file-size limit (Python ignores SIGXFSZ, so the write fails with EFBIG).
    code = (
        "import resource, sys; sys.path.insert(0, sys.argv[2]); from test_report import session; "
        "from pathlib import Path; from smr_sense.report import save_summary; "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100, resource.getrlimit(resource.RLIMIT_FSIZE)[1])); "
        "save_summary(session(), Path(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "session-1.smr"), str(Path(__file__).parent)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "could not save the session summary beside" in done.stderr and "File too large" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_group_passed_through_for_a_moment_is_not_worked_but_its_rolling_is_counted():
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_marker(Marker(30.0, "muscle_group", {"group": "hamstrings"}))  # rolled the calves 30 s
    r.apply_marker(Marker(32.0, "muscle_group", {"group": "quads"}))  # 2 s on the way to the quads
    r.close(60.0)
    s = summarize(r, source="sim", device_id="x", duration_s=60.0, hold_cap_s=20.0, body_mass_kg=None,
                  ceiling_n=None, started_at=None)
    md = summary_markdown(s)
    assert "| Hamstrings | 0 | - | - | - | - | 0 | - | 0:02 |" in md  # as the summary screen: "-", not "0 s"
    assert "Not worked: Hamstrings, Adductors," in md
    assert [g.worked for g in s.groups[:3]] == [True, False, True]


def test_a_group_worked_is_judged_on_its_rolling_time_as_it_reads():
    # 9.6 s of rolling reads 0:10 in the table: the notes must not call that group "not worked".
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_marker(Marker(9.6, "muscle_group", {"group": "hamstrings"}))
    r.apply_marker(Marker(9.6 + 9.4, "muscle_group", {"group": "quads"}))
    r.close(40.0)
    s = summarize(r, source="sim", device_id="x", duration_s=40.0, hold_cap_s=20.0)
    md = summary_markdown(s)
    assert "| Calves | 0 | - | - | - | - | 0 | - | 0:10 |" in md
    assert "| Hamstrings | 0 | - | - | - | - | 0 | - | 0:09 |" in md
    assert "Not worked: Hamstrings, Adductors," in md  # Calves (0:10) worked; Hamstrings (0:09) not
    assert [g.worked for g in s.groups[:3]] == [True, False, True]


def test_the_rolling_total_is_the_sum_of_the_rows_as_they_read():
    # Rows of 0:41, 0:24 and 0:17 (40.89, 24.39, 17.41 s) over a note of "1:23 min of rolling".
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_marker(Marker(40.89, "muscle_group", {"group": "hamstrings"}))
    r.apply_marker(Marker(65.28, "muscle_group", {"group": "quads"}))
    r.close(82.69)
    s = summarize(r, source="sim", device_id="x", duration_s=82.69, hold_cap_s=20.0, body_mass_kg=106.613)
    md = summary_markdown(s)
    assert "| 0:41 |" in md and "| 0:24 |" in md and "| 0:17 |" in md
    assert "- 0 holds in all, 1:22 min of rolling." in md
    assert "Body weight 106.6 kg." in md


def test_a_session_of_hours_reads_in_hours_minutes_seconds():
    # A 2.6 h session read "158:41 min on ..." and its rolling "62:03 min of rolling".
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.close(3723.0)
    s = summarize(r, source="sim", device_id="x", duration_s=9521.0, hold_cap_s=20.0)
    md = summary_markdown(s)
    assert "2:38:41 on x (sim)." in md
    assert "| Calves | 0 | - | - | - | - | 0 | - | 1:02:03 |" in md
    assert "- 0 holds in all, 1:02:03 of rolling." in md
    assert "min" not in md
    short = summary_markdown(summarize(r, source="sim", device_id="x", duration_s=725.0, hold_cap_s=20.0))
    assert "12:05 min on x (sim)." in short  # under an hour, as before


def test_exceedances_under_a_ceiling_changed_in_the_session_name_their_ceilings():
    # The header gives the last ceiling (400 N); "exceeded 3 times" read as all over 400 N.
    r = session_tracker()
    for t_s, ceiling_n in ((12.0, 300.0), (47.0, 300.0), (63.0, 400.0)):
        r.apply_event(CeilingExceeded(t_s, force_n=ceiling_n + 5.0, ceiling_n=ceiling_n))
    md = summary_markdown(summarize(r, source="sim", device_id="d", duration_s=70.0, hold_cap_s=20.0,
                                    body_mass_kg=80.0, ceiling_n=400.0))
    assert "- The pressure ceiling was exceeded 3 times (2 times over 300 N, 1 time over 400 N): it should" in md
    before = session_tracker()
    before.apply_event(CeilingExceeded(12.0, force_n=310.0, ceiling_n=300.0))
    md = summary_markdown(summarize(before, source="sim", device_id="d", duration_s=70.0, hold_cap_s=20.0,
                                    body_mass_kg=80.0, ceiling_n=400.0))
    assert "- The pressure ceiling was exceeded 1 time (over 300 N, the ceiling then): it should" in md
    # One ceiling all along: just the count.
    assert "- The pressure ceiling was exceeded 1 time: it should hurt, never unbearably." in summary_markdown(session())


def test_a_partial_replay_says_its_groups_were_not_worked_in_what_was_played():
    r = session_tracker()
    r.apply_marker(Marker(100.0, "seek", {"from_s": 70.0}))  # the rest of the file was jumped over
    md = summary_markdown(summarize(r, source="sim", device_id="d", duration_s=100.0, hold_cap_s=20.0))
    assert "Partial: 30 s of the recording were skipped" in md
    assert "- Not worked in what was played: Quads, Adductors," in md
    assert "- Not worked: Quads," in summary_markdown(session())

"""The dashboard through its app factory, with real sources: keys, replay controls, faults, the summary."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from smr_sense.core.events import HoldStarted
from smr_sense.core.pipeline import SessionSettings, analyze_block
from smr_sense.core.samples import Channel, Marker, SampleBlock, StreamInfo
from smr_sense.recording import RecordingWriter, export_csv, load_any, load_recording
from smr_sense.report import summary_to_json
from smr_sense.sources import make_source
from smr_sense.sources.replay import ReplaySource
from smr_sense.tui.messages import SessionEvents
from smr_sense.tui.widgets import Banner, ForcePlot, ForceReadout, HoldTimer, PlaybackBar, StateBadge
from tui_helpers import app_for, recording, replay, summary_shown, wait_for

SIZE = (100, 32)


async def test_replay_plays_to_the_end_and_saves_the_summary_beside_the_file(tmp_path):
    rec = recording("imu_routine.smr")
    target = tmp_path / "imu_routine.smr"
    target.write_bytes(rec.path.read_bytes())
    app = app_for(replay(rec), summary_path=target)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        offline = analyze_block(rec.info, rec.block, rec.markers)
        summary = app.session.outcome.summary
        # The dashboard counted exactly what the offline analysis finds in the file.
        assert summary.holds == len(offline.holds) > 0
        assert [round(h.duration_s, 3) for g in summary.groups for h in g.holds] == [
            round(h.duration_s, 3) for h in offline.holds
        ]
        assert summary.rolling_s == pytest.approx(sum(r.end_s - r.start_s for r in offline.rolling))
        saved = json.loads((tmp_path / "imu_routine.summary.json").read_text())
        assert saved["totals"]["holds"] == len(offline.holds) and saved["recording"] == "imu_routine.smr"
        assert (tmp_path / "imu_routine.summary.md").read_text().startswith("# Foam-rolling session")
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_replayed_csv_export_has_the_recordings_muscle_groups(tmp_path):
    rec = recording("imu_routine.smr")
    export_csv(rec, tmp_path / "s.csv")
    per_group = {}
    for name, r in (("smr", rec), ("csv", load_any(tmp_path / "s.csv"))):
        app = app_for(replay(r), summary_path=tmp_path / f"{name}.smr")
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
            per_group[name] = [(g.key, g.hold_count) for g in app.session.outcome.summary.groups]
            await pilot.press("q")
    assert sum(n for _, n in per_group["smr"]) > 0 and len({k for k, n in per_group["smr"] if n}) > 1
    assert per_group["csv"] == per_group["smr"]


@pytest.mark.parametrize("quit_key", ["q", "ctrl+c"])
async def test_live_session_records_group_changes_and_saves_on_quit(tmp_path, quit_key):
    out = tmp_path / "session.smr"
    # A slow simulated roller keeps the app idle enough for the Pilot to press keys quickly.
    app = app_for(make_source("sim:?seed=7&build=imu&rate=10&speed=4"), record_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.now_s > 3.0, "three seconds of samples")
        await pilot.press("down", "down", "up")
        assert app.session.tracker.current.key == "hamstrings"
        await pilot.press(quit_key)
        await wait_for(pilot, lambda: summary_shown(app), "the summary after quitting")
        await pilot.press(quit_key)
    rec = load_recording(out)
    groups = [m.data["group"] for m in rec.markers if m.kind == "muscle_group"]
    # The simulated person announces the first group; the keys then move on, on and back.
    assert groups == ["calves", "hamstrings", "quads", "hamstrings"]
    assert not rec.warnings  # closed cleanly
    assert rec.info.device_id == "sim-imu-7"
    assert (tmp_path / "session.summary.json").exists() and (tmp_path / "session.summary.md").exists()
    # Named as it lies beside the summary, not by the path this machine had it under.
    assert json.loads((tmp_path / "session.summary.json").read_text())["recording"] == "session.smr"


async def test_routine_keys_stop_at_either_end(tmp_path):
    source = replay(recording("force_routine.smr"), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")  # paused: the keys still move the routine
        await pilot.press("up")
        assert app.session.tracker.index == 0
        await pilot.press(*["down"] * 12)
        assert app.session.tracker.current.key == "lats"


async def test_unit_key_cycles_newtons_kilograms_and_body_weight():
    app = app_for(make_source("sim:?seed=7&rate=10&speed=2"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.now_s > 1.0, "samples")
        readout = app.query_one(ForceReadout)
        seen = []
        for _ in range(3):
            await pilot.press("u")
            await pilot.pause(0.1)
            seen.append(readout.unit)
        # The simulated person's weight is known, so % body weight is offered.
        assert seen == ["kg", "%BW", "N"]


async def test_body_weight_asked_for_on_a_recording_that_notes_none_says_why_it_shows_newtons():
    from smr_sense.tui.app import make_app
    from smr_sense.tui.view import DisplaySettings

    rec = recording("edge_hold_25s.csv")  # a hand-made file: no body weight
    app = make_app(replay(rec), SessionSettings(), display=DisplaySettings(unit="%BW", bell=False))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        assert app.unit == "N" and app.query_one(ForceReadout).unit == "N"
        shown = " ".join(line.strip() for line in app.w_log.lines)  # as wrapped to the log's width
        assert shown.startswith("Forces in N: % of body weight needs a body weight (--body-mass KG).")


async def test_the_event_log_speaks_the_unit_on_screen():
    from smr_sense.core.events import HoldEnded

    app = app_for(make_source("sim:?seed=7&rate=10&speed=2"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.now_s > 1.0, "samples")
        await pilot.press("u")  # kg
        app.post_message(SessionEvents((HoldEnded(31.0, 12.0, 31.0, 19.0, 306.0, 350.0, False, None, 0.0),)))
        await wait_for(pilot, lambda: any("Hold ended" in line for line in app.w_log.lines), "the hold's line")
        assert any(line.endswith("Hold ended: 19.0 s at 31.2 kg") for line in app.w_log.lines), list(app.w_log.lines)


async def test_live_source_has_no_replay_controls():
    app = app_for(make_source("sim:?seed=1&rate=10"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        assert app.query_one(PlaybackBar).display is False
        assert app.check_action("pause", ()) is False
        await pilot.press("space", "right")  # nothing to pause or seek: no error
        assert app.fault is None


async def test_replay_controls_pause_seek_speed_and_next_hold():
    rec = recording("edge_hold_25s.csv")
    source = replay(rec, speed=1.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        assert app.query_one(PlaybackBar).display is True
        # Keys are pressed while paused: the Pilot waits for an idle app after each key.
        await pilot.press("space")
        assert source.paused
        await pilot.press("right", "right")
        await wait_for(pilot, lambda: source.position_s >= 9.0, "the seek to land")
        assert source.position_s < 11.0
        await pilot.press("left")
        await wait_for(pilot, lambda: source.position_s < 9.0, "the seek back to land")
        await pilot.press("plus", "plus")
        assert source.speed == 5.0
        await pilot.press("minus")
        assert source.speed == 2.0 and source.paused
        # Next hold: plays (fast) from about 5 s until the pipeline confirms the hold that starts
        # at 14 s, then gives back the 2x the user had chosen, paused there as it was (as a seek).
        # Noted when the speed comes back: where the replay was (not when this test looks: on a
        # loaded machine the replay plays on at 2x meanwhile), and whether the worker step doing it
        # carried the hold's confirmation. How far the fast play's last block reached depends on
        # the machine (at 50x a block spans 50 times the wall time since the last one).
        hold = analyze_block(rec.info, rec.block, rec.markers).holds[0]
        restored, confirming = [], []
        after_events, set_speed = app.replay.after_events, source.set_speed

        def noting_after_events(events):
            confirming.append(any(isinstance(e, HoldStarted) for e in events))
            after_events(events)

        app.replay.after_events = noting_after_events
        source.set_speed = lambda speed: (
            restored.append((source.position_s, bool(confirming) and confirming[-1])), set_speed(speed)
        )
        await pilot.press("n")
        await wait_for(pilot, lambda: app.session.status is not None and app.session.status.state == "hold", "the hold")
        await wait_for(pilot, lambda: source.speed == 2.0, "the speed to come back")
        position_s, with_confirmation = restored[-1]
        assert with_confirmation  # in the same step as the block that confirmed the hold
        assert 14.0 < position_s < hold.end_s  # on the hold, not after it
        assert source.paused


@pytest.mark.parametrize(
    "start, keys, speeds",
    [
        (100.0, ["plus", "plus", "plus", "plus"], [200.0, 500.0, 1000.0, 1000.0]),
        (3.0, ["plus", "minus", "minus"], [5.0, 2.0, 1.0]),
        (3.0, ["minus"], [2.0]),
        (0.25, ["minus"], [0.25]),
    ],
)
async def test_speed_keys_step_from_the_speed_the_replay_started_at(start, keys, speeds):
    """`+` is never slower, `-` never faster, whatever --speed the replay began with."""
    # Four minutes: at 100x a 25 s file could play out on a loaded machine before the pause.
    source = replay(recording("force_routine.smr"), speed=start)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")  # paused, so the replay is still there for every key
        seen = []
        for key in keys:
            await pilot.press(key)
            seen.append(source.speed)
        assert seen == speeds


async def test_a_cut_off_recording_says_so_in_the_summary_it_saves(tmp_path):
    # The banner said the file ends part-way through a chunk; the saved report, read by a trainer
    # later, gave its short last hold as a real one and never said the file was cut.
    cut = tmp_path / "cut.smr"
    cut.write_bytes(recording("imu_routine.smr").path.read_bytes()[:100_000])
    rec = load_any(cut)
    assert any("ends part-way through a chunk" in w for w in rec.warnings)
    app = app_for(replay(rec), summary_path=cut)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary")
        assert any("ends part-way through a chunk" in w for w in app.session.outcome.warnings)
    saved = json.loads((tmp_path / "cut.summary.json").read_text())
    assert any("ends part-way through a chunk" in w for w in saved["warnings"])
    assert "ends part-way through a chunk" in (tmp_path / "cut.summary.md").read_text()
    whole = tmp_path / "whole.smr"
    whole.write_bytes(recording("imu_routine.smr").path.read_bytes())
    app = app_for(replay(load_any(whole)), summary_path=whole)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary")
    assert json.loads((tmp_path / "whole.summary.json").read_text())["warnings"] == []


async def test_seeking_back_does_not_count_a_hold_twice():
    rec = recording("edge_hold_then_lift.csv")
    source = replay(rec, speed=16.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.position_s > 26.0, "past the hold")
        assert sum(len(t.holds) for t in app.session.tracker.tallies) == 1
        source.seek(2.0)
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert app.session.outcome.summary.holds == 1


async def test_seeking_back_does_not_count_a_ceiling_or_a_lost_signal_twice():
    """The trainer's report counts the ceiling exceeded (at 3.2 s) and the signal lost (2.0 s at
    21.8 s) once, as ``analyze`` does, though the replay went back over both."""
    rec = recording("edge_dropout.csv")
    settings = SessionSettings(ceiling_n=40.0)
    offline = analyze_block(rec.info, rec.block, rec.markers, settings=settings)
    assert offline.summary["ceiling_exceeded"] == 1 and offline.summary["signal_lost"] == 1
    gap_s = next(e.gap_s for e in offline.events if e.kind == "signal_lost")
    source = replay(rec, speed=16.0)
    app = app_for(source, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.tracker.signal_lost == 1, "the signal lost")
        await wait_for(pilot, lambda: source.position_s > 24.0, "past it")
        source.seek(1.0)
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        summary = app.session.outcome.summary
        assert (summary.ceiling_exceeded, summary.signal_lost) == (1, 1)
        assert summary.signal_lost_s == pytest.approx(gap_s)


async def test_seeking_back_within_rolling_keeps_the_rolling_seen_before():
    """Back 5 s inside a stretch of rolling (force_routine.smr rolls from 107.8 to 134.0 s): the
    saved report's rolling time is the file's, as analyze has it, not short by the open stretch."""
    rec = recording("force_routine.smr")
    offline = analyze_block(rec.info, rec.block, rec.markers)
    stretch = next(r for r in offline.rolling if r.end_s - r.start_s > 20.0 and r.start_s > 100.0)
    source = replay(rec, speed=16.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.position_s > stretch.start_s + 12.0, "well into the rolling")
        source.seek(stretch.start_s + 6.0)
        await wait_for(pilot, lambda: summary_shown(app), "the end", limit_s=40)
        summary = app.session.outcome.summary
        assert summary.skipped_s == 0.0
        assert summary.rolling_s == pytest.approx(sum(r.end_s - r.start_s for r in offline.rolling), abs=0.05)


async def test_seeking_ahead_out_of_a_hold_keeps_the_hold_seen_so_far():
    """force_routine.smr holds 48.5-90.8 s, capped at 68.5 s. Jumping from 75 s to 100 s leaves it
    in the summary (capped, up to where it was left), not gone with its cap."""
    rec = recording("force_routine.smr")
    offline = analyze_block(rec.info, rec.block, rec.markers)
    hold = next(h for h in offline.holds if h.capped)
    source = replay(rec, speed=16.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.alarm_t_s != [], "the cap")
        await wait_for(pilot, lambda: source.position_s > hold.start_s + 26.0, "past the cap")
        left_s = app.session.now_s
        source.seek(hold.end_s + 10.0)
        await wait_for(pilot, lambda: source.position_s > hold.end_s + 12.0, "after the seek")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.session.outcome is not None, "the summary")
        holds = [h for g in app.session.outcome.summary.groups for h in g.holds if h.start_s > 40.0]
        assert len(holds) == 1
        kept = holds[0]
        assert kept.start_s == pytest.approx(hold.start_s) and kept.capped
        assert left_s - 1.0 <= kept.end_s <= left_s + 1.0


async def test_seeking_into_a_capped_hold_keeps_its_real_start_and_cap():
    """Seek to 2:01, 29 s into a 40.6 s hold: the timer shows the hold's real age, already past the
    cap, and the summary still has one capped hold (not a fresh 11 s one from the seek)."""
    rec = recording("imu_routine.smr")
    offline = analyze_block(rec.info, rec.block, rec.markers)
    long_hold = max(offline.holds, key=lambda h: h.duration_s)
    assert long_hold.capped
    source = replay(rec, speed=8.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.position_s > 5.0, "the replay going")
        source.seek(long_hold.start_s + 29.0)
        await wait_for(pilot, lambda: app.session.pipeline.status.t_s > long_hold.start_s + 30.0, "after the seek")
        status = app.session.pipeline.status
        assert status.state == "hold" and status.capped
        assert status.hold_start_s == pytest.approx(long_hold.start_s)
        # And back again, from later in the same hold: still the same hold, still capped.
        await wait_for(pilot, lambda: app.session.pipeline.status.t_s > long_hold.start_s + 33.0, "on")
        source.seek(long_hold.start_s + 25.0)
        await wait_for(pilot, lambda: app.session.pipeline.status.t_s < long_hold.start_s + 30.0, "back")
        status = app.session.pipeline.status
        assert status.capped and status.hold_start_s == pytest.approx(long_hold.start_s)
        await wait_for(pilot, lambda: summary_shown(app), "the end", limit_s=60)
        holds = [h for g in app.session.outcome.summary.groups for h in g.holds]
        assert [round(h.duration_s, 3) for h in holds if h.start_s > long_hold.start_s - 1] == [
            round(h.duration_s, 3) for h in offline.holds if h.start_s > long_hold.start_s - 1
        ]


def _write(path, info, blocks_and_markers):
    with RecordingWriter(path, info) as w:
        for item in blocks_and_markers:
            if isinstance(item, Marker):
                w.mark(item)
            else:
                w.append(item)


async def test_disconnect_shows_a_banner_and_the_session_goes_on(tmp_path):
    info = StreamInfo("test", "roller-1", "Roller", (Channel("force", unit="N"),), 50.0)
    t1, t2 = np.arange(0, 5, 0.02), np.arange(8, 12, 0.02)
    path = tmp_path / "dropout.smr"
    _write(path, info, [
        SampleBlock.build(t1, np.full(t1.size, 200.0)),
        Marker(5.0, "disconnected", {}),
        Marker(8.0, "reconnected", {}),
        SampleBlock.build(t2, np.full(t2.size, 200.0)),
    ])
    app = app_for(make_source(f"replay:{path}?speed=max"))
    shown: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(Banner)
        watch = banner.watch_text

        def record(text: str) -> None:  # every text the banner takes, in order
            shown.append(text)
            watch(text)

        banner.watch_text = record
        await wait_for(pilot, lambda: summary_shown(app), "the end")
    assert [t for t in shown if t] == ["The roller is disconnected: reconnecting, the session goes on."]
    assert shown[-1] == ""  # cleared on reconnect
    assert app.session.now_s > 11.9  # the samples after the reconnect were taken


async def test_a_source_that_cannot_open_ends_the_app_with_its_sentence(tmp_path):
    # Nothing to show or save: the app closes at once and the command line prints the sentence
    # (exit 2), as record does; no traceback, no empty dashboard waiting for q.
    app = app_for(make_source(f"replay:{tmp_path / 'missing.smr'}"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.fatal is not None, "the fatal sentence")
    assert app.fatal == f"{tmp_path / 'missing.smr'} does not exist"
    assert app.return_code == 2
    assert app.session.finish().summary is None


async def test_a_recording_file_taken_meanwhile_ends_the_app_with_its_sentence(tmp_path):
    # Two dashboards started in the same second both found the default name free; the second to
    # open it must not run on without recording, nor blame a missing calibration in its summary.
    taken = tmp_path / "session.smr"
    taken.write_bytes(b"another session's samples")
    app = app_for(replay(recording("edge_hold_25s.csv")), record_path=taken)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.fatal is not None, "the fatal sentence")
    assert app.fatal == f"{taken} was created by another session just now; start again to record to a new file"
    assert app.return_code == 2
    assert app.session.finish().summary is None
    assert taken.read_bytes() == b"another session's samples"


async def test_force_records_over_a_session_and_its_summaries(tmp_path):
    # live/demo --record X --force, as record --force: the old file and its report give way to the new.
    old = tmp_path / "today.smr"
    old.write_bytes(b"yesterday's samples")
    for name in ("today.summary.json", "today.summary.md"):
        (tmp_path / name).write_text("yesterday's report")
    source = recording("edge_hold_25s.csv")
    app = app_for(replay(source), record_path=old, replace_existing=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert app.fatal is None
    outcome = app.session.finish()
    assert outcome.saved[0] == old and len(load_recording(old).block) == len(source.block)
    assert json.loads((tmp_path / "today.summary.json").read_text())["recording"] == "today.smr"
    assert (tmp_path / "today.summary.md").read_text().startswith("# Foam-rolling session")


async def test_a_name_the_app_chose_moves_on_to_the_next_free_one_if_taken_meanwhile(tmp_path):
    # The default name (no --record) is the app's own choice: the second dashboard started in the
    # same second records as NAME-2.smr, with its summary beside it, and the first keeps its file.
    from smr_sense.cli.live import next_free

    taken = tmp_path / "session-20261125-101500.smr"
    taken.write_bytes(b"another session's samples")
    app = app_for(replay(recording("edge_hold_25s.csv")), record_path=taken, rename=next_free)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert app.fatal is None
    outcome = app.session.finish()
    second = tmp_path / "session-20261125-101500-2.smr"
    assert outcome.saved[0] == second
    assert len(load_recording(second).block) > 0
    assert (tmp_path / "session-20261125-101500-2.summary.json").exists()
    assert taken.read_bytes() == b"another session's samples"


def test_a_default_name_taken_before_the_dashboard_opens_moves_on_too(tmp_path, monkeypatch):
    # Two demos started in the same second: the second was refused before its screen opened,
    # "... already exists; choose another --record file", though the user had given no --record.
    from smr_sense.cli import live
    from smr_sense.core.pipeline import SessionSettings

    opened = []
    monkeypatch.setattr(live.sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    monkeypatch.setattr(live.sys, "stdout", type("Tty", (), {"isatty": lambda self: True, "write": print, "flush": id})())

    def fake_make_app(source, settings, **kw):
        opened.append(kw["record_path"])
        raise SystemExit(0)  # the screen itself is tested above: the name it was given is what counts

    monkeypatch.setattr("smr_sense.tui.app.make_app", fake_make_app)
    args = live.argparse.Namespace(window=20.0, unit="N", no_bell=False, source="sim")
    taken = tmp_path / "demo-20261125-023200.smr"
    taken.write_bytes(b"the first demo's samples")
    with pytest.raises(SystemExit):
        live.run_dashboard("sim", args, record_path=taken, settings=SessionSettings(), rename=live.next_free)
    assert opened == [tmp_path / "demo-20261125-023200-2.smr"]
    with pytest.raises(live.UsageError, match="already exists; use --force to replace it, or choose another --record file"):
        live.run_dashboard("sim", args, record_path=taken, settings=SessionSettings())  # the user's own name


def test_live_with_a_missing_port_is_one_sentence_and_exit_2(tmp_path):
    import os
    import subprocess
    import sys
    import threading

    # A real terminal (a pseudo-terminal) for the dashboard; what it draws is read and thrown away.
    main_fd, term_fd = os.openpty()
    drain = threading.Thread(target=lambda: _read_until_closed(main_fd), daemon=True)
    drain.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "smr_sense", "live", "--source", "serial:/dev/ttyNOPE", "--no-record"],
            stdin=term_fd, stdout=term_fd, stderr=subprocess.PIPE, text=True, timeout=60,
            env={**os.environ, "TERM": "xterm-256color", "SMR_SENSE_DATA_DIR": str(tmp_path)},
        )
    finally:
        os.close(term_fd)
        drain.join(timeout=5)
        os.close(main_fd)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("serial port /dev/ttyNOPE does not exist; `smr-sense scan` lists the ports there are")
    assert "Traceback" not in done.stderr


def _read_until_closed(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # the terminal side closed
        pass


async def test_an_uncalibrated_roller_says_so_and_is_still_recorded(tmp_path):
    info = StreamInfo("test", "hx711-1", "Bare load cell", (Channel("load", unit="count"),), 10.0)
    src_path, out = tmp_path / "raw.smr", tmp_path / "out.smr"
    t = np.arange(0, 3, 0.1)
    _write(src_path, info, [SampleBlock.build(t, np.full(t.size, 81234.0))])
    app = app_for(make_source(f"replay:{src_path}?speed=max"), record_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert "press c to calibrate" in app.query_one(Banner).text
        # Never OFF (nothing was measured), and behind the summary the session has ended.
        assert app.query_one(StateBadge).state == "ended"
        # The summary's "0 holds" is not a session without holds: it says nothing was measured.
        said = str(app.screen.query_one("#summary-warnings").render())
        assert "no calibration" in said and "press c to calibrate" in said
    assert len(load_recording(out).block) == t.size


async def test_an_uncalibrated_roller_streaming_is_not_shown_as_waiting(tmp_path):
    # Its samples stream and are recorded, but nothing is measured: WAITING said the opposite.
    info = StreamInfo("test", "hx711-1", "Bare load cell", (Channel("load", unit="count"),), 10.0)
    src_path = tmp_path / "raw.smr"
    t = np.arange(0, 30, 0.1)
    _write(src_path, info, [SampleBlock.build(t, np.full(t.size, 81234.0))])
    app = app_for(make_source(f"replay:{src_path}?speed=1"))
    async with app.run_test(size=SIZE) as pilot:
        badge = app.query_one(StateBadge)
        await wait_for(pilot, lambda: badge.state == "uncalibrated", "UNCALIBRATED")
        assert "UNCALIBRATED" in str(badge.render())


async def test_a_replay_of_an_uncalibrated_recording_saves_no_summary(tmp_path):
    # It saved "0 holds", and once the roller was calibrated that empty summary blocked the real one.
    info = StreamInfo("test", "hx711-1", "Bare load cell", (Channel("load", unit="count"),), 10.0)
    path = tmp_path / "raw.smr"
    t = np.arange(0, 3, 0.1)
    _write(path, info, [SampleBlock.build(t, np.full(t.size, 81234.0))])
    app = app_for(make_source(f"replay:{path}?speed=max"), summary_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert app.session.outcome.note == "Not saved: nothing in the file was measured (it has no calibration)."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.smr"]


async def test_the_summary_says_what_the_analysis_repaired_as_analyze_does(tmp_path):
    # Missing values were bridged with only analyze saying so; the dashboard's summary was silent.
    from smr_sense.cli.analyze import analyze_file
    from smr_sense.core.settings import SessionSettings

    rec = recording("edge_hold_25s.csv")
    f = rec.block.raw[:, 0].astype(float)
    f[1000:1300] = np.nan
    path = tmp_path / "nan.csv"
    lines = ["time_s,force_n"] + [f"{t:.4f},{'' if np.isnan(v) else f'{v:.2f}'}" for t, v in zip(rec.block.t_s, f)]
    path.write_text("\n".join(lines) + "\n")
    app = app_for(make_source(f"replay:{path}?speed=max"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        said = str(app.screen.query_one("#summary-warnings").render())
    repaired = [w for w in analyze_file(str(path), SessionSettings())["warnings"] if "300 missing values" in w]
    assert repaired and repaired[0][1:] in said


async def test_every_event_reaches_the_app_in_stream_order():
    rec = recording("force_routine.smr")
    got = []

    def hook(message):
        if isinstance(message, SessionEvents):
            got.extend(message.events)

    app = app_for(replay(rec))
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
    offline = analyze_block(rec.info, rec.block, rec.markers)
    live = [(e.kind, round(e.t_s, 6)) for e in got]
    whole = [(e.kind, round(e.t_s, 6)) for e in offline.events]
    # Everything the live run saw matches the offline run; offline, finish() may still close what
    # was open at the end of the file (a hold), stamped at or after the last sample.
    assert live and live == whole[: len(live)]
    assert all(t >= rec.block.t_s[-1] - 1.0 for _, t in whole[len(live):])
    assert app.session.outcome.summary.holds == len(offline.holds)


async def test_a_replay_quit_half_way_keeps_the_summary_of_the_whole_session(tmp_path):
    rec = recording("edge_hold_25s.csv")
    target = tmp_path / "session.csv"
    target.write_bytes(rec.path.read_bytes())
    json_path = tmp_path / "session.summary.json"
    json_path.write_text('{"whole": "session"}')
    source = replay(rec, speed=1.0)
    app = app_for(source, summary_path=target)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.position_s > 1.0, "a second of replay")
        source.set_paused(True)
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary")
    assert json_path.read_text() == '{"whole": "session"}'
    assert app.session.outcome.saved == () and "before the end of the file" in app.session.outcome.note


async def test_a_replay_of_a_file_still_being_recorded_saves_no_summary_for_it(tmp_path):
    # Read while another session still writes it, the file holds only that session's start: a
    # summary of that would stand beside the whole recording as if it were its summary.
    rec = recording("edge_hold_25s.csv")
    target = tmp_path / "growing.smr"
    with RecordingWriter(target, rec.info) as writer:
        writer.append(rec.block)
        writer.flush()
        growing = load_recording(target)
        assert growing.warnings == [f"{target} is still being recorded; reading the {len(rec.block)} samples written so far"]
        app = app_for(replay(growing, speed=64.0), summary_path=target)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: summary_shown(app), "the end")
        outcome = app.session.outcome
    assert sum(g.hold_count for g in outcome.summary.groups) == 1 and outcome.saved == ()
    assert outcome.note == f"Not saved: {target} is still being recorded, so this replay saw only the start of it."
    assert not list(tmp_path.glob("*.summary.*"))


async def test_record_saves_the_summary_the_dashboard_gives_its_recording(tmp_path):
    # A session recorded without a screen reaches the trainer as one recorded with it: the same
    # holds filed under the same groups, rolling, caps and losses of signal.
    import subprocess
    import sys

    out = tmp_path / "headless.smr"
    done = subprocess.run(
        [sys.executable, "-m", "smr_sense", "record", "--source", "sim:?seed=3&speed=max",
         "--duration", "240", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    json_path, md_path = tmp_path / "headless.summary.json", tmp_path / "headless.summary.md"
    assert done.stdout.splitlines()[-1] == f"saved the summary to {json_path} and {md_path}"
    saved = json.loads(json_path.read_text())
    assert saved["recording"] == "headless.smr" and saved["totals"]["holds"] >= 3
    assert len([g for g in saved["groups"] if g["holds"]]) >= 2  # the simulated person moved on
    assert md_path.read_text().startswith("# Foam-rolling session")

    app = app_for(replay(load_recording(out), speed=float("inf")), summary_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
    replayed = summary_to_json(app.session.outcome.summary)
    assert replayed["totals"] == saved["totals"] and replayed["groups"] == saved["groups"]
    assert replayed["duration_s"] == saved["duration_s"]


@pytest.mark.parametrize("lost, said", [(0, False), (2, False), (60, True)])
async def test_the_summary_says_what_the_link_lost_when_it_lost_more_than_a_little(tmp_path, lost, said):
    rec = recording("edge_hold_25s.csv")
    source = replay(rec, speed=float("inf"))
    source.stats.lost, source.stats.corrupt = lost, lost // 2  # as a lossy serial link counts them
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
    warnings = app.session.outcome.summary.warnings
    expected = f"the roller's link lost data: {source.stats.losses()}"
    assert (expected in warnings) == said and (expected in app.session.outcome.warnings) == said
    assert said == (source.stats.whole_pct < 99.0)


@pytest.mark.parametrize("replace", [False, True])
async def test_a_replay_replaces_a_summary_already_there_only_when_told(tmp_path, replace):
    # It may be the live session's own summary, dated the day the session was done.
    rec = recording("edge_hold_25s.csv")
    target = tmp_path / "session.csv"
    target.write_bytes(rec.path.read_bytes())
    json_path = tmp_path / "session.csv.summary.json"
    json_path.write_text('{"live": "summary"}')
    app = app_for(replay(rec, speed=64.0), summary_path=target, replace_existing=replace)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
    outcome = app.session.outcome
    if replace:
        assert json.loads(json_path.read_text())["totals"]["holds"] == 1 and outcome.note is None
        assert (tmp_path / "session.csv.summary.md").exists()
    else:
        assert json_path.read_text() == '{"live": "summary"}' and outcome.saved == ()
        assert outcome.note == f"Not saved: {json_path} already exists (replay with --force to replace it)."
        assert not (tmp_path / "session.csv.summary.md").exists()


async def test_a_bug_in_the_analysis_is_a_banner_and_the_recording_goes_on(tmp_path, monkeypatch):
    from smr_sense.core.pipeline import Pipeline

    real_feed = Pipeline.feed
    calls = {"n": 0}

    def feed_then_fail(self, block):  # fault injection: the analysis breaks on its 5th block
        calls["n"] += 1
        if calls["n"] == 5:
            raise ZeroDivisionError("float division by zero")
        return real_feed(self, block)

    monkeypatch.setattr(Pipeline, "feed", feed_then_fail)
    out = tmp_path / "session.smr"
    rec = recording("edge_hold_25s.csv")
    app = app_for(replay(rec, speed=16.0), record_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        assert app.query_one(Banner).text == (
            "The analysis stopped on an internal error (ZeroDivisionError: float division by zero); "
            "the samples are still recorded"
        )
    assert len(load_recording(out).block) == len(rec.block)


async def test_the_wizard_pauses_a_live_session_and_analyze_of_the_recording_agrees(tmp_path):
    """Opening the calibration wizard mid-hold ends the hold; nothing is detected while it is open
    (weights on the roller are not a hold); the recording notes both ends, so ``analyze`` of the
    file finds exactly the holds the dashboard counted."""
    out = tmp_path / "session.smr"
    app = app_for(make_source("sim:?seed=7&build=imu&rate=20&speed=8"), record_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.pipeline.status.state == "hold", "a hold", limit_s=60)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.session.pipeline.status.state == "idle", "the hold to end")
        opened_s = app.session.now_s
        await wait_for(pilot, lambda: app.session.now_s > opened_s + 8.0, "eight seconds in the wizard")
        assert app.session.pipeline.status.state == "idle"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.session.now_s > opened_s + 40.0, "the session going on", limit_s=60)
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary after quitting")
        summary = app.session.outcome.summary
        await pilot.press("q")
    rec = load_recording(out)
    kinds = [m.kind for m in rec.markers]
    assert "calibration_started" in kinds and "calibration_ended" in kinds
    offline = analyze_block(rec.info, rec.block, rec.markers)
    assert [round(h.duration_s, 3) for g in summary.groups for h in g.holds] == [
        round(h.duration_s, 3) for h in offline.holds
    ]
    assert len(offline.holds) >= 2  # the one the wizard cut short, and one after it


async def test_a_small_terminal_keeps_the_state_the_timer_and_the_alarm(tmp_path):
    info = StreamInfo("test", "roller-1", "Roller", (Channel("force", unit="N"),), 50.0)
    t = np.arange(0, 40, 0.02)
    path = tmp_path / "long_hold.smr"
    _write(path, info, [SampleBlock.build(t, np.where((t > 2) & (t < 38), 300.0, 0.0))])  # 36 s still: capped
    app = app_for(make_source(f"replay:{path}?speed=4"))
    async with app.run_test(size=(50, 15)) as pilot:
        await wait_for(pilot, lambda: app.screen.has_class("-compact"), "the compact layout")
        timer, plot = app.query_one(HoldTimer), app.query_one(ForcePlot)
        await wait_for(pilot, lambda: timer.has_class("-capped"), "the cap alarm")
        assert not plot.display or not plot.region.area  # the plot gave its room to the timer
        assert timer.region.area and timer.region.bottom <= 15 and timer.region.right <= 50
        note = str(app.query_one("#size-note").render())
        assert note == "300 N · Calves · full view at 60x18"
        # The routine panel is hidden: the line says where ↓ moved (it used to show no change at all).
        await pilot.press("down")
        await wait_for(pilot, lambda: "· Hamstrings ·" in str(app.query_one("#size-note").render()), "the next group")
        await pilot.resize_terminal(100, 32)
        await wait_for(pilot, lambda: not app.screen.has_class("-compact"), "the full layout")
        await pilot.pause()
        assert plot.region.area and not app.query_one("#size-note").region.area


@pytest.mark.parametrize(
    "force_n, unit, mass, text",
    [(-0.3, "N", None, "0"), (-0.6, "N", None, "-1"), (-0.02, "kg", None, "0.0"), (-0.4, "%BW", 80.0, "0"),
     (249.4, "N", None, "249"), (24.46, "kg", None, "2.5")],
)
def test_the_readout_never_says_minus_zero(force_n, unit, mass, text):
    from smr_sense.tui.units import format_force

    assert format_force(force_n, unit, mass) == text


def test_a_replay_uses_the_body_weight_and_ceiling_the_session_had(tmp_path):
    # The replay's summary said "no ceiling" for a demo that ran with one (a new user's diff).
    import argparse

    from smr_sense.cli.replay import _settings_as_recorded
    from smr_sense.tui.session import DashboardSession

    rec = recording("edge_hold_25s.csv")
    out = tmp_path / "s.smr"
    session = DashboardSession(SessionSettings(body_mass_kg=80.0, ceiling_pct_bw=50.0), record_path=out)
    session.start(rec.info)
    session.finish()
    extra = load_recording(out).header["extra"]
    assert extra["body_mass_kg"] == 80.0 and extra["ceiling_n"] == pytest.approx(0.5 * 80.0 * 9.80665, abs=0.01)
    args = argparse.Namespace(body_mass=None, ceiling=None, ceiling_pct=None)
    _settings_as_recorded(args, extra)
    assert (args.body_mass, args.ceiling) == (80.0, extra["ceiling_n"])
    assert args.pinned == frozenset()  # filled from the recording: the wizard's markers still apply
    given = argparse.Namespace(body_mass=70.0, ceiling=None, ceiling_pct=40.0)  # options given now win
    _settings_as_recorded(given, extra)
    assert (given.body_mass, given.ceiling, given.ceiling_pct) == (70.0, None, 40.0)
    assert given.pinned == {"body_mass_kg", "ceiling"}


def test_a_session_s_hold_cap_is_in_its_recording_and_a_replay_times_holds_by_it(tmp_path):
    # A demo with --hold-cap 7 said "3 caps reached" on its own summary; its replay (and analyze)
    # judged the same file at 20 s, "1 hold reached the 20 s cap", with no word of the difference.
    import argparse

    from smr_sense.cli.replay import _settings_as_recorded
    from smr_sense.tui.session import DashboardSession

    out = tmp_path / "s.smr"
    session = DashboardSession(SessionSettings(hold_cap_s=7.0), record_path=out)
    session.start(recording("edge_hold_25s.csv").info)
    session.finish()
    extra = load_recording(out).header["extra"]
    assert (extra["hold_cap_s"], extra["warning_s"]) == (7.0, 3.5)
    args = argparse.Namespace(body_mass=None, ceiling=None, ceiling_pct=None, hold_cap=None)
    _settings_as_recorded(args, extra)
    assert (args.hold_cap, args.warning) == (7.0, 3.5) and args.pinned == frozenset()
    given = argparse.Namespace(body_mass=None, ceiling=None, ceiling_pct=None, hold_cap=30.0)
    _settings_as_recorded(given, extra)  # a cap given now wins, with its own warning
    assert given.hold_cap == 30.0 and getattr(given, "warning", None) is None and given.pinned == {"hold_cap"}
    assert SessionSettings().as_recorded({"hold_cap_s": 7.0, "warning_s": 0}).warning_s == 0.0  # none
    bad = SessionSettings().as_recorded({"hold_cap_s": "x", "warning_s": 9.0})  # a hand-edited header
    assert (bad.hold_cap_s, bad.warning_s) == (20.0, 5.0)


async def test_the_playback_bar_counts_from_the_start_of_the_file_whatever_the_replay_started_at():
    # It counted from the first sample the session saw: a replay started at 10 s read 0:00 there,
    # and a seek back before that read 0:00 too.
    rec = recording("edge_hold_25s.csv")
    source = ReplaySource("replay:edge", str(rec.path), speed=1.0, start_s=10.0, recording=rec)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open and source.position_s >= 10.0, "the replay to start at 10 s")
        await pilot.press("space")
        bar = app.query_one(PlaybackBar)
        await wait_for(pilot, lambda: bar.position_s >= 10.0, "the bar to show 10 s")
        await pilot.press("left")  # 5 s back: before where the replay started
        await wait_for(pilot, lambda: source.position_s < 8.0, "the seek back to land")
        await wait_for(pilot, lambda: 3.0 < bar.position_s < 8.0, "the bar to follow it")


@pytest.mark.parametrize("ceiling_n, band", [(None, (196.13, 353.04)), (250.0, (196.13, 250.0)), (150.0, None)])
async def test_the_target_band_never_reaches_above_the_users_ceiling(ceiling_n, band):
    # 25-45 % of 80 kg is 196-353 N; a ceiling of 250 N cuts it there, one of 150 N leaves none.
    settings = SessionSettings(body_mass_kg=80.0, ceiling_n=ceiling_n)
    app = app_for(replay(recording("edge_hold_25s.csv"), speed=1.0), settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        readout = app.query_one(ForceReadout)
        await wait_for(pilot, lambda: readout.body_mass_kg == 80.0, "the first frame")
        shown = readout.band_n
        await pilot.pause(0.1)
        line = " ".join(str(readout.query_one("#force-scale").render()).split())
    assert (shown is None) == (band is None)
    if band is not None:
        assert shown == pytest.approx(band, abs=0.01)
        assert f"target {band[0]:.0f}-{band[1]:.0f}" in line
    else:
        assert "target" not in line


async def test_band_and_ceiling_in_kilograms_are_rounded_as_the_readout_and_the_log_round_them():
    # A ceiling of 200 N (20.4 kg) just above the band's foot (25 % of 80 kg, 20.0 kg) read
    # "target 20-20 ┃ ceiling 20" in whole kilograms, while the event log said "20.4 kg".
    from smr_sense.tui.app import make_app
    from smr_sense.tui.view import DisplaySettings

    settings = SessionSettings(body_mass_kg=80.0, ceiling_n=200.0)
    app = make_app(replay(recording("edge_hold_25s.csv"), speed=1.0), settings, display=DisplaySettings(unit="kg", bell=False))
    async with app.run_test(size=SIZE) as pilot:
        readout = app.query_one(ForceReadout)
        await wait_for(pilot, lambda: readout.body_mass_kg == 80.0, "the first frame")
        await pilot.pause(0.1)
        line = " ".join(str(readout.query_one("#force-scale").render()).split())
    assert "target 20.0-20.4 ┃ ceiling 20.4" in line

"""The summary screen at the end of a dashboard session: what it says, and that it says it once."""

from __future__ import annotations

import io
import resource

import numpy as np
import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Label, Static

from smr_sense.core.events import RollingStarted
from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.samples import Channel, Marker, SampleBlock, StreamInfo
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.recording import RecordingWriter
from smr_sense.report import summarize
from smr_sense.routine import ROUTINE, RoutineTracker
from smr_sense.sources import make_source
from smr_sense.tui.screens.summary import SummaryScreen
from smr_sense.tui.session import DashboardSession
from smr_sense.tui.widgets import RoutinePanel
from tui_helpers import RECORDINGS, app_for, recording, replay, summary_shown, wait_for

SIZE = (100, 32)


def text_of(renderable) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def row_of(text: str, label: str) -> list[str]:
    """The cells after ``label`` on its line of a table or the routine panel."""
    line = next(line for line in text.splitlines() if f" {label} " in f" {line} ")
    return line.split(label, 1)[1].split()


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def test_a_disk_that_fills_is_said_once_on_the_summary_with_the_samples_kept(tmp_path):
    # It was said twice: a warning "The recording stopped: ..." and an error "the recording stopped early: ...".
    out = tmp_path / "s.smr"
    app = app_for(make_source(f"replay:{RECORDINGS / 'edge_hold_25s.csv'}?speed=max"), record_path=out)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))  # 49 s of samples need more
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
            said = screen_text(app)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    kept = app.session.writer.written
    assert 0 < kept < 4880
    assert said.lower().count("the recording stopped") == 1, said
    assert f"The recording stopped early: cannot write {out}: File too large; it keeps the {kept} samples" in said
    assert not any("recording" in w for w in app.session.outcome.warnings)


def test_a_disk_that_fills_leaves_the_missing_calibration_said_too(tmp_path):
    # The recording's sentence replaced the calibration's, on the banner and in the summary.
    info = StreamInfo("test", "hx711-1", "Bare load cell", (Channel("load", unit="count"),), 100.0)
    live = DashboardSession(SessionSettings(), record_path=tmp_path / "s.smr")
    live.start(info)
    live.writer.flush_interval_s = 0.0  # every block goes to the disk at once
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))
    try:
        for i in range(60):
            t = np.arange(i * 100, (i + 1) * 100) / 100.0
            live.feed(SampleBlock.build(t, np.full(t.size, 81234.0)))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert live.problem.startswith("The recording stopped: cannot write") and "press c to calibrate" in live.problem
    outcome = live.finish()
    assert len(outcome.warnings) == 1 and "press c to calibrate" in outcome.warnings[0]
    assert outcome.error.startswith("the recording stopped early: cannot write")


def routine_recording(path) -> None:
    """The simulated person rolls from 3.4 s to past 20 s: the calves until 5 s, 8 s on the
    hamstrings, a moment on the quads."""
    roller = SimRoller(SimConfig(seed=7, build="imu", rate_hz=100.0))
    with RecordingWriter(path, roller.info) as w:
        w.append(roller.read_until(5.0))
        w.mark(Marker(5.0, "muscle_group", {"group": "hamstrings"}))
        w.append(roller.read_until(13.0))
        w.mark(Marker(13.0, "muscle_group", {"group": "quads"}))
        w.append(roller.read_until(13.7))


async def test_a_short_stretch_of_rolling_shows_its_time_as_the_markdown_does(tmp_path):
    # The summary screen showed "-" for 8 s of rolling on the hamstrings (under the 10 s that make
    # a group worked), the Markdown 0:08; the routine panel cut 12.7 s to 0:12, the summary 0:13.
    path = tmp_path / "short.smr"
    routine_recording(path)
    app = app_for(make_source(f"replay:{path}?speed=max"), summary_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        table = text_of(app.screen.query_one("#summary-table", Static).content)
        panel = str(app.query_one(RoutinePanel).render())
    md = (tmp_path / "short.summary.md").read_text()
    rolled = {"Calves": "0:02", "Hamstrings": "0:08", "Quads": "0:01"}  # 1.6 s, 8.0 s, 0.7 s
    for label, shown in rolled.items():
        assert f"| {label} | 0 | - | - | - | - | 0 | - | {shown} |" in md  # as the screen: "-", not "0 s"
        assert row_of(table, label)[-1] == shown
        assert row_of(panel, label)[-1] == shown
    assert row_of(table, "Adductors") == ["-"] * 6 and row_of(panel, "Adductors") == []


async def test_the_summary_screen_says_a_session_of_hours_in_hours():
    # "Session summary: 158:41 min, ..." for 2.6 h.
    tracker = RoutineTracker()
    tracker.apply_event(RollingStarted(0.0))
    tracker.close(3723.0)
    summary = summarize(tracker, source="sim", device_id="x", duration_s=9521.0, hold_cap_s=20.0)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(SummaryScreen(summary, (), None))

    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        title = str(app.screen.query_one("#summary-title", Static).render())
        table = text_of(app.screen.query_one("#summary-table", Static).content)
        notes = str(app.screen.query_one("#summary-notes", Static).render())
    assert title.startswith("Session summary: 2:38:41, 0 holds")
    assert row_of(table, "Calves")[-1] == "1:02:03"
    assert "0 holds in all, 1:02:03 of rolling." in notes


def header_recording(app) -> str:
    return str(app.query_one("#hdr-rec", Label).render())


async def test_back_from_the_summary_the_recording_is_saved_and_the_session_keys_are_off(tmp_path):
    """The header still said "● REC s.smr" over a closed recording; ↓ moved the panel to the next
    group and its marker went to the closed recording, silently; c opened the wizard over it."""
    out = tmp_path / "s.smr"
    app = app_for(make_source("sim:?seed=7&build=imu&rate=10&speed=4"), record_path=out)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: header_recording(app) == "● REC s.smr", "the recording to start")
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary after quitting")
        await pilot.press("escape")
        await wait_for(pilot, lambda: header_recording(app) != "● REC s.smr", "the header to follow", limit_s=2)
        assert header_recording(app) == "saved s.smr"
        assert not app.query_one("#hdr-rec", Label).has_class("-on")
        group = app.session.tracker.current
        await pilot.press("down", "c")
        await pilot.pause()
        assert app.session.tracker.current == group
        assert app.screen is app.screen_stack[0]  # no calibration wizard over a saved session
        assert app.check_action("group", (1,)) is False and app.check_action("calibrate", ()) is False
        assert app.check_action("quit", ()) is True


async def test_a_disk_that_fills_stops_the_rec_in_the_header(tmp_path):
    out = tmp_path / "s.smr"
    app = app_for(make_source(f"replay:{RECORDINGS / 'edge_hold_25s.csv'}?speed=max"), record_path=out)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
            await pilot.press("escape")
            await wait_for(pilot, lambda: "REC s.smr" not in header_recording(app), "the header to follow", limit_s=2)
            assert header_recording(app) == "REC stopped s.smr"
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


async def test_quit_during_a_hold_leaves_the_dashboard_ended_and_the_hold_in_the_log(tmp_path):
    """q during a hold, then Esc: the header said "ended" but the badge still said HOLD, the timer
    "HOLD 6 s  14 s left" over the last force, and the log had no "Hold ended", although the
    summary counted the hold that the session's finish had closed."""
    from smr_sense.core.events import HoldEnded
    from smr_sense.tui.widgets import ForceReadout, HoldTimer, StateBadge

    # The simulated person's first hold (seed 7) lasts 7 s: at 4x, q comes well inside it.
    app = app_for(make_source("sim:?seed=7&build=imu&rate=20&speed=4"), record_path=tmp_path / "s.smr")
    async with app.run_test(size=SIZE) as pilot:
        status = lambda: app.session.status  # noqa: E731
        await wait_for(pilot, lambda: status() is not None and status().hold_start_s is not None, "a hold", 30)
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary after quitting")
        await pilot.press("escape")
        await pilot.pause(0.3)  # a few redraws of the dashboard
        assert app.session.outcome.summary.holds == 1
        assert app.query_one(StateBadge).state == "ended"
        assert "SESSION ENDED" in str(app.query_one(StateBadge).render())
        timer = app.query_one(HoldTimer)
        assert not timer.active and str(timer.render()).startswith("Hold timer  20 s cap")
        assert app.query_one(ForceReadout).force_n is None
        assert [type(e) for e in app.session.outcome.events] == [HoldEnded]  # the finish closed it
        log = "\n".join(app.w_log.lines)
        assert log.count("Hold on Calves") == 1 and log.count("Hold ended:") == 1, log


async def test_a_60_column_summary_shows_the_muscle_groups_names_whole():
    # At 60x18 the table cut every name to three letters: "Cal…", "Ham…", "IT …".
    app = app_for(replay(recording("imu_routine.smr")))
    async with app.run_test(size=(60, 18)) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        await pilot.pause()
        table = app.screen.query_one("#summary-table")
        lines = [line.text for line in table.render_lines(table.region.reset_offset)]
        assert table.region.right <= 60 and not any("…" in line for line in lines), lines
        for group in ROUTINE:
            assert any(line.startswith(f"{group.label} ") for line in lines), (group.label, lines)
        assert any(line.rstrip().endswith("20.6 s    0:24") for line in lines), lines  # the hamstrings' row, whole


@pytest.mark.parametrize("width", [50, 56])
async def test_a_phone_width_summary_keeps_the_names_whole_and_drops_the_over_cap_column(width):
    # At 50x16 the table cut every name to two letters ("Ca…", "Ha…"); at 56 it folded
    # "Hamstring" / "s". The compact form leaves the over-cap seconds and the % of body weight to
    # the saved Markdown, and keeps the names, holds, caps and rolling time.
    app = app_for(replay(recording("imu_routine.smr")))
    async with app.run_test(size=(width, 16)) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        await pilot.pause()
        table = app.screen.query_one("#summary-table")
        lines = [line.text for line in table.render_lines(table.region.reset_offset)]
    assert table.region.right <= width and not any("…" in line for line in lines), lines
    for group in ROUTINE:
        assert any(line.startswith(f"{group.label} ") for line in lines), (group.label, lines)
    assert "Over" not in lines[0] and "Caps Rolling" in lines[1], lines
    assert any(line.rstrip().endswith("1    0:24") for line in lines), lines  # the hamstrings' cap and rolling


@pytest.mark.parametrize("unit, shown", [("N", "262 N 33%"), ("kg", "26.8 kg 33%"), ("%BW", "262 N 33%")])
def test_the_summary_table_shows_forces_in_kg_to_someone_who_read_kg_all_session(unit, shown):
    # The whole session in kg, then a summary in N only. (The mean is 262.5 N: 26.8 kg.)
    from smr_sense.report import summarize
    from smr_sense.tui.screens.summary import SummaryTable
    from test_report import session_tracker  # two holds on the calves, then the hamstrings rolled over

    s = summarize(session_tracker(), source="sim", device_id="d", duration_s=90.0, hold_cap_s=20.0, body_mass_kg=80.0)
    console = Console(width=100, record=True)
    console.print(SummaryTable(s, unit))
    lines = console.export_text().splitlines()
    calves = next(line for line in lines if line.startswith("Calves"))
    assert shown in calves, calves
    # Rolled over with no hold: no mean force, in any unit (in kg it divided None and failed).
    hamstrings = next(line for line in lines if line.startswith("Hamstrings"))
    assert hamstrings.split()[1:5] == ["0", "-", "-", "0"], hamstrings

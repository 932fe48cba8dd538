"""The dashboard on the real serial source over a real pseudo-terminal, when the cable is pulled:
a banner and 'reconnecting' while nothing arrives, back to streaming after, the session goes on."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from smr_sense.emulator import PtyLink, PtyRoller, sim_virtual_roller
from smr_sense.recording import load_recording
from smr_sense.sources import make_source
from smr_sense.tui.widgets import Banner, ForceReadout, StateBadge, StatusHeader
from tui_helpers import app_for, summary_shown, wait_for

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


@contextmanager
def pty_roller(tmp_path, **options):
    """A virtual roller behind a real pseudo-terminal (imu, seed 5, 100 Hz unless ``options`` say)."""
    roller = sim_virtual_roller(**{"build": "imu", "seed": 5, "rate_hz": 100.0, **options})
    emu = PtyRoller(roller, PtyLink(str(tmp_path / "roller")), max_pending_bytes=1 << 24)
    emu.start()
    try:
        yield emu
    finally:
        emu.close()


@pytest.fixture
async def emulator(tmp_path):
    with pty_roller(tmp_path) as emu:
        yield emu


async def test_a_pulled_cable_shows_a_banner_and_the_session_goes_on(emulator, tmp_path):
    out = tmp_path / "session.smr"
    app = app_for(make_source(f"serial:{emulator.path}"), record_path=out)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: emulator.streaming.is_set(), "the roller to stream")
        emulator.emit(200)
        await wait_for(pilot, lambda: app.session.samples >= 200, "the first samples")
        header, banner = app.query_one(StatusHeader), app.query_one(Banner)
        # The header polls the link at each redraw: wait for one rather than race it on a busy machine.
        await wait_for(pilot, lambda: header.link_state == "streaming", "the header to say streaming")
        assert banner.text == ""

        emulator.unplug()
        await wait_for(pilot, lambda: header.link_state == "reconnecting", "the header to say reconnecting")
        assert banner.text == "The roller is disconnected: reconnecting, the session goes on."
        assert header.rate_hz is None and header.link_pct is None  # nothing arrives: no rate or quality to show
        # The last force and state are not shown as if they were now.
        badge, readout = app.query_one(StateBadge), app.query_one(ForceReadout)
        await wait_for(pilot, lambda: badge.state == "nosignal", "NO SIGNAL")
        assert readout.force_n is None and readout.number_n is None

        emulator.replug()
        await wait_for(pilot, lambda: emulator.streaming.is_set(), "the roller to stream again")
        emulator.emit(100)
        await wait_for(pilot, lambda: app.session.samples >= 300, "samples after the reconnect")
        await wait_for(pilot, lambda: banner.text == "" and header.link_state == "streaming", "the banner to clear")
        await wait_for(pilot, lambda: header.link_pct == 100.0, "the link quality back")
        await wait_for(pilot, lambda: badge.state != "nosignal" and readout.force_n is not None, "the state back")
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary")
    rec = load_recording(out)
    assert [m.kind for m in rec.markers] == ["disconnected", "reconnected"]
    assert len(rec.block) == 300 and not rec.warnings


async def test_a_hold_s_countdown_waits_while_the_link_is_down(emulator):
    # The timer stayed on "HOLD  4 s   16 s left" for as long as the link was down (30 s and more,
    # past when the cap would have come): it keeps the time held, says no signal, and counts down
    # again when the samples show the hold went on.
    from smr_sense.tui.widgets import HoldTimer

    app = app_for(make_source(f"serial:{emulator.path}"))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: emulator.streaming.is_set(), "the roller to stream")
        emulator.emit(2600)  # seed 5 stops on the calves at 20.2 s
        timer = app.query_one(HoldTimer)
        await wait_for(pilot, lambda: timer.active and timer.elapsed_s >= 4.0, "a hold under way")
        assert "s left" in str(timer.render())
        emulator.unplug()
        await wait_for(pilot, lambda: app.query_one(StateBadge).state == "nosignal", "NO SIGNAL")
        await pilot.pause(0.1)
        shown = str(timer.render())
        assert shown.startswith(f"HOLD {int(timer.elapsed_s):2d} s   no signal") and "left" not in shown, shown
        emulator.replug()
        await wait_for(pilot, lambda: emulator.streaming.is_set(), "the roller to stream again")
        emulator.emit(200)
        await wait_for(pilot, lambda: not timer.no_signal and "s left" in str(timer.render()), "the countdown back")


async def test_the_event_log_counts_from_the_first_sample_not_from_the_roller_s_boot(tmp_path):
    # A roller switched on an hour ago: its clock, and so the stream time, starts at 3600 s.
    with pty_roller(tmp_path, boot_us=3_600_000_000) as emu:
        app = app_for(make_source(f"serial:{emu.path}"))
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_for(pilot, lambda: emu.streaming.is_set(), "the roller to stream")
            emu.emit(250)
            await wait_for(pilot, lambda: app.session.samples >= 250, "the first samples")
            assert app.session.first_t_s == pytest.approx(3600.0, abs=0.01)
            emu.unplug()
            await wait_for(pilot, lambda: any("Roller disconnected" in line for line in app.w_log.lines),
                           "the disconnection in the log")
            line = next(line for line in app.w_log.lines if "Roller disconnected" in line)
            # 2.5 s of samples (250 at 100 Hz): the log says so, as the session's clock does.
            assert line.startswith(" 0:02."), line
            await pilot.press("q")
            await wait_for(pilot, lambda: summary_shown(app), "the summary")


async def test_a_small_terminal_shows_no_force_while_no_signal_comes(emulator):
    # The compact line carries the force its hidden readout would show: it kept the last one.
    app = app_for(make_source(f"serial:{emulator.path}"))
    async with app.run_test(size=(50, 15)) as pilot:
        await wait_for(pilot, lambda: emulator.streaming.is_set(), "the roller to stream")
        emulator.emit(200)
        await wait_for(pilot, lambda: app.session.samples >= 200, "the first samples")
        note = app.query_one("#size-note")
        await wait_for(pilot, lambda: str(note.render())[0].isdigit(), "a force on the compact line")
        emulator.unplug()
        await wait_for(pilot, lambda: app.query_one(StateBadge).state == "nosignal", "NO SIGNAL")
        await wait_for(pilot, lambda: str(note.render()).startswith("-- · Calves ·"), "'--' on the compact line")
        await pilot.press("q")
        await wait_for(pilot, lambda: summary_shown(app), "the summary")


async def test_an_uncalibrated_roller_reads_uncalibrated_and_no_signal_when_its_cable_is_pulled(tmp_path):
    with pty_roller(tmp_path, build="force", units="count") as emu:
        app = app_for(make_source(f"serial:{emu.path}"))
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_for(pilot, lambda: emu.streaming.is_set(), "the roller to stream")
            emu.emit(200)
            badge, banner = app.query_one(StateBadge), app.query_one(Banner)
            # Counts are streaming and recorded, but nothing is measured: not WAITING.
            await wait_for(pilot, lambda: badge.state == "uncalibrated", "UNCALIBRATED")
            # An emulated roller takes no weights: the banner says what to do instead of "press c".
            assert banner.text == (
                "Virtual roller (force) sends raw counts and has no calibration; an emulated roller cannot take "
                "known weights (nobody can put one on it): run the emulator with --units N to measure holds"
            )
            emu.unplug()
            await wait_for(pilot, lambda: badge.state == "nosignal", "NO SIGNAL")
            emu.replug()
            await wait_for(pilot, lambda: emu.streaming.is_set(), "the roller to stream again")
            emu.emit(100)
            await wait_for(pilot, lambda: badge.state == "uncalibrated", "UNCALIBRATED again")

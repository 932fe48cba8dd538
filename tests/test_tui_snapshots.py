"""Pictures of the main screens (pytest-textual-snapshot), from fixed recordings: no clock in them.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
look at the report before committing.
"""

from __future__ import annotations

import asyncio

from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.samples import SampleBlock
from smr_sense.sources.replay import ReplaySource
from tui_helpers import app_for, recording, replay, summary_shown, wait_for

CAP_SCENE = "edge_hold_25s.csv"


class ReplayPausedAtItsEnd(ReplaySource):
    """A replay that pauses on its last sample instead of ending, as if the user had paused it
    there: the session goes on, its alarm at a fixed stream time (at its end the session's finish
    would close the hold)."""

    async def _items(self):
        last_t_s = float(self.recording.block.t_s[-1])
        async for item in super()._items():
            yield item
            if isinstance(item, SampleBlock) and float(item.t_s[-1]) >= last_t_s:
                self.set_paused(True)
                await asyncio.Event().wait()  # until the app stops the acquisition


def cap_scene(settings: SessionSettings | None = None, *, paused_at_end: bool = False):
    """edge_hold_25s.csv cut at 36.5 s: 2.7 s into the RELEASE alarm (cap at 33.81 s), replayed at full speed."""
    rec = recording(CAP_SCENE, until_s=36.5)
    if paused_at_end:
        return app_for(ReplayPausedAtItsEnd(f"replay:{CAP_SCENE}", str(rec.path), speed=float("inf"), recording=rec))
    return app_for(replay(rec, spec=f"replay:{CAP_SCENE}"), settings=settings)


async def at_the_alarm(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.source.paused and app.alarm_t_s, "the replay paused in the alarm")
    await pilot.pause(0.5)  # the plot and the number are drawn 5 times a second


async def back_to_dashboard(pilot) -> None:
    await wait_for(pilot, lambda: summary_shown(pilot.app), "the end of the replay")
    await pilot.press("escape")
    await pilot.pause()


def test_dashboard_release_alarm_80x24(snap_compare):
    assert snap_compare(cap_scene(paused_at_end=True), terminal_size=(80, 24), run_before=at_the_alarm)


def test_dashboard_with_band_and_ceiling_120x40(snap_compare):
    """Back from the summary: the session has ended, and its finish closed the hold in the alarm."""
    settings = SessionSettings(body_mass_kg=80.0, ceiling_pct_bw=45.0)
    assert snap_compare(cap_scene(settings), terminal_size=(120, 40), run_before=back_to_dashboard)


def test_summary_screen(snap_compare):
    app = app_for(replay(recording("imu_routine.smr"), spec="replay:imu_routine.smr"))

    async def at_summary(pilot) -> None:
        await wait_for(pilot, lambda: summary_shown(pilot.app), "the summary")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=at_summary)


def test_calibration_wizard_zero_step(snap_compare, tmp_path, monkeypatch):
    """The wizard on a bare load cell (raw counts, no calibration yet), at its zero step."""
    import numpy as np

    from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
    from smr_sense.recording import RecordingWriter
    from smr_sense.sources.replay import ReplaySource

    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path))
    info = StreamInfo("bench", "bench-hx711", "Load cell on the bench", (Channel("load", unit="count"),), 50.0)
    path = tmp_path / "bench.smr"
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(np.arange(0, 600, 0.02), np.full(30000, 81234.0)))
    app = app_for(ReplaySource("replay:bench.smr", str(path), speed=1.0))

    async def at_zero_step(pilot) -> None:
        # Paused while the session runs (a saved session takes no calibration): no sample moves the step on.
        await wait_for(pilot, lambda: pilot.app.session.now_s > 0.5, "the first samples")
        await pilot.press("space", "c", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=at_zero_step)

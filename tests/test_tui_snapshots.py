"""Pictures of the main screens (pytest-textual-snapshot), from fixed recordings: no clock in them.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
look at the report before committing.
"""

from __future__ import annotations

from smr_sense.core.pipeline import SessionSettings
from tui_helpers import app_for, recording, replay, summary_shown, wait_for


def cap_scene(settings: SessionSettings | None = None):
    """edge_hold_25s.csv cut at 36.5 s: 2.7 s into the RELEASE alarm (cap at 33.81 s), replayed at full speed."""
    rec = recording("edge_hold_25s.csv", until_s=36.5)
    return app_for(replay(rec, spec="replay:edge_hold_25s.csv"), settings=settings)


async def back_to_dashboard(pilot) -> None:
    await wait_for(pilot, lambda: summary_shown(pilot.app), "the end of the replay")
    await pilot.press("escape")
    await pilot.pause()


def test_dashboard_release_alarm_80x24(snap_compare):
    assert snap_compare(cap_scene(), terminal_size=(80, 24), run_before=back_to_dashboard)


def test_dashboard_with_band_and_ceiling_120x40(snap_compare):
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

"""Pictures of the main screens (pytest-textual-snapshot), from fixed recordings: no clock in them.

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
look at the report before committing.
"""

from __future__ import annotations

from smr_sense.core.pipeline import SessionSettings
from tui_helpers import app_for, recording, replay, summary_shown, wait_for


def cap_scene(settings: SessionSettings | None = None):
    """edge_hold_25s.csv cut at 36.5 s: 2.7 s into the RELEASE alarm, replayed at full speed."""
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

"""The routine panel on screen: nine muscle groups in a panel that a small terminal cuts short."""

from __future__ import annotations

import pytest

from smr_sense.tui.widgets import RoutinePanel
from smr_sense.tui.widgets.routine_panel import shown_rows
from tui_helpers import app_for, recording, replay, wait_for


def panel_lines(app) -> list[str]:
    """What the panel shows on screen, border and all (not what its render would draw unclipped)."""
    panel = app.query_one(RoutinePanel)
    return [line.text for line in panel.render_lines(panel.region.reset_offset)]


def marked(lines: list[str]) -> list[str]:
    return [line for line in lines if "▶" in line]


@pytest.mark.parametrize("size", [(60, 18), (70, 20), (100, 32)])
async def test_the_current_group_stays_in_sight_as_the_keys_move_it(size):
    # At 60x18 (the full dashboard) the panel showed Calves .. IT band / TFL: after ↓ to the lower
    # back, the upper back and the lats, the ▶ was below the panel's edge; at 70x20 Lats never showed.
    source = replay(recording("force_routine.smr"), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")  # paused: the keys still move the routine
        labels = [tally.group.label for tally in app.session.tracker.tallies]
        for i, label in enumerate(labels):
            await pilot.pause(0.1)  # a redraw of the dashboard (15 a second)
            shown = marked(panel_lines(app))
            assert len(shown) == 1 and f"▶ {label}" in shown[0], (label, panel_lines(app))
            if i + 1 < len(labels):
                await pilot.press("down")
        for label in reversed(labels[:-1]):
            await pilot.press("up")
            await pilot.pause(0.1)
            shown = marked(panel_lines(app))
            assert len(shown) == 1 and f"▶ {label}" in shown[0], (label, panel_lines(app))


async def test_the_border_says_how_many_groups_are_out_of_sight():
    # At 60x18 a replay's panel shows five of the nine groups, and nothing said that more were above or below.
    source = replay(recording("force_routine.smr"), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=(60, 18)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")
        seen = []
        for _ in range(9):
            await pilot.pause(0.1)
            lines = panel_lines(app)
            seen.append((lines[0].split(" Routine, bottom up")[1].strip("─╮ "), lines[-1].strip("╰─╯ ")))
            await pilot.press("down")
    assert seen == [
        ("", "▼ 4 more"), ("", "▼ 4 more"), ("", "▼ 4 more"), ("", "▼ 4 more"), ("▲ 1 more", "▼ 3 more"),
        ("▲ 2 more", "▼ 2 more"), ("▲ 3 more", "▼ 1 more"), ("▲ 4 more", ""), ("▲ 4 more", ""),
    ]


async def test_the_border_marks_nothing_when_every_group_is_in_sight():
    app = app_for(replay(recording("force_routine.smr"), speed=1.0))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space", "down", "down", "down", "down", "down", "down", "down", "down")
        await pilot.pause(0.1)
        lines = panel_lines(app)
        assert "▶ Lats" in "".join(lines) and not any(mark in "".join(lines) for mark in "▲▼"), lines


def test_the_window_keeps_the_next_group_below_the_current_one():
    assert shown_rows(9, 0, 12) == range(9)  # all fit
    assert shown_rows(9, 0, 6) == range(0, 6)
    assert shown_rows(9, 4, 6) == range(0, 6)  # the next one (5) is still in sight
    assert shown_rows(9, 5, 6) == range(1, 7)
    assert shown_rows(9, 8, 6) == range(3, 9)  # the last group at the bottom
    assert shown_rows(9, 8, 1) == range(8, 9) and shown_rows(9, 3, 1) == range(3, 4)


async def test_the_border_explains_the_hold_and_cap_marks_once_there_are_any():
    # "2h  1!" beside a group said nothing to a new user: the border now says what h and ! count.
    app = app_for(replay(recording("edge_hold_25s.csv"), speed=50.0))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        assert "h holds" not in panel_lines(app)[-1]  # nothing to explain yet
        await wait_for(pilot, lambda: any(t.caps for t in app.session.tracker.tallies), "the cap")
        await pilot.pause(0.2)
        lines = panel_lines(app)
    assert "h holds, ! capped" in lines[-1], lines
    assert any("1h" in line and "1!" in line for line in lines), lines


async def test_a_long_session_s_counts_push_the_name_aside_not_the_time_off_the_edge():
    # A sim run for hours at speed max: "144h 62! 1:05:40" no longer fitted its fixed
    # columns, and the panel showed "1:05:4" (the seconds cut off) on every line.
    from textual.app import App

    from smr_sense.tui.widgets.routine_panel import RoutineRow

    class PanelOnly(App):
        def compose(self):
            yield RoutinePanel()

    app = PanelOnly()
    async with app.run_test(size=(34, 6)) as pilot:
        panel = app.query_one(RoutinePanel)
        panel.rows = (RoutineRow("Hamstrings", 161, 71, 3940), RoutineRow("Quads", 2, 0, 44))
        await pilot.pause()
        lines = [line.text for line in panel.render_lines(panel.region.reset_offset)]
    assert lines[0].rstrip().endswith("161h 71! 1:05:40"), lines
    assert lines[0].startswith("▶ Hamst") and len(lines[0]) == 34, lines
    assert lines[1].rstrip().endswith("2h        0:44"), lines

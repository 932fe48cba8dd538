"""The dashboard's layout at the sizes a user's terminal has: what must stay readable, stays readable."""

from __future__ import annotations

import pytest

from smr_sense.core.pipeline import SessionSettings
from smr_sense.sources import make_source
from smr_sense.tui.widgets import ForcePlot, StatusHeader
from tui_helpers import app_for, recording, replay, wait_for


def shown(widget) -> list[str]:
    """What ``widget`` shows on screen, border and all, cut to its size as the terminal cuts it."""
    return [line.text for line in widget.render_lines(widget.region.reset_offset)]


@pytest.mark.parametrize("size", [(100, 30), (120, 40)])
async def test_the_event_log_shows_the_recordings_file_name_whole(tmp_path, size):
    # "Recording to /root/.local/share/smr-sense/sessions/dem" was cut at the log's edge.
    folder = tmp_path / "a folder with a name as long as a home directory's can be" / "sessions"
    folder.mkdir(parents=True)
    out = folder / "demo-20261124-072915.smr"
    app = app_for(make_source("sim:?seed=7&rate=10"), record_path=out)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.pause()
        log = app.w_log
        line = next(line for line in shown(log) if "Recording to" in line)
        assert f"…/sessions/{out.name} " in line, shown(log)
        # Still whole with more lines than the log shows, scrolled back to it.
        for i in range(10):
            log.write_line(f"line {i}")
        log.scroll_home(animate=False)
        await pilot.pause()
        assert log.max_scroll_y > 0
        line = next(line for line in shown(log) if "Recording to" in line)
        assert f"{out.name} " in line, shown(log)
        await pilot.resize_terminal(80, 24)  # a smaller terminal: fitted again
        log.scroll_home(animate=False)
        await pilot.pause()
        line = next(line for line in shown(log) if "Recording to" in line)
        assert f"…/{out.name} " in line, shown(log)


@pytest.mark.parametrize("size", [(100, 30), (60, 18)])
async def test_the_plots_scale_keeps_a_space_from_the_border(size):
    # A ceiling of 850 N puts the scale at 1100 N: "│1100 ┤" touched the border.
    app = app_for(replay(recording("force_routine.smr"), speed=1.0), settings=SessionSettings(ceiling_n=850.0))
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(ForcePlot)
        await wait_for(pilot, lambda: plot.data is not None, "the plot")
        await pilot.pause()
        labelled = [line for line in shown(plot) if "┤" in line]
        assert labelled[0].startswith("│ 1100 ┤"), shown(plot)
        assert all(line.startswith("│ ") for line in labelled), shown(plot)
        assert len({line.index("┤") for line in labelled}) == 1  # the ticks in one column


@pytest.mark.parametrize("size", [(60, 18), (80, 24), (100, 30)])
@pytest.mark.parametrize("build", ["imu", "channels"])
async def test_the_header_keeps_the_devices_name_whole(tmp_path, size, build):
    # At 60 columns the header read "Si…" (and nothing at all while recording): the rate, the link
    # quality and the recording's file name took the room first.
    app = app_for(make_source(f"sim:?seed=7&rate=10&build={build}"), record_path=tmp_path / "demo-20261124-072915.smr")
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.pause()
        header = app.query_one(StatusHeader)
        source, link, rec = (shown(header.query_one(f"#hdr-{part}"))[0] for part in ("source", "link", "rec"))
        assert f" Simulated roller ({build}) " in source, source
        assert "● streaming" in link and "● REC" in rec, (link, rec)
        # What it keeps, it shows whole: what does not fit is left out, not cut.
        for part in ("rate", "rec"):
            label = header.query_one(f"#hdr-{part}")
            assert not label.display or "…" not in shown(label)[0]


async def test_a_run_of_seeks_is_one_line_in_the_event_log():
    # Every ← or → added "Jumped here": seeking through a replay pushed its events out of the log.
    source = replay(recording("force_routine.smr"), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")  # paused: only the keys write to the log
        events = list(app.w_log.lines)
        for key, landed in (("right", 5.0), ("right", 10.0), ("right", 15.0), ("left", 10.0)):
            await pilot.press(key)
            await wait_for(pilot, lambda: abs(source.position_s - landed) < 0.5, f"the seek to {landed} s")
            await pilot.pause()
        jumps = [line for line in app.w_log.lines if "Jumped here" in line]
        assert list(app.w_log.lines[: len(events)]) == events  # the session's own lines are all still there
        # One line, at where the last seek landed (about 10 s: the pause lands when the Pilot gets to
        # it, so on a loaded machine the replay may have played a tenth of a second first).
        assert len(jumps) == 1 and jumps[0].endswith("  Jumped here"), list(app.w_log.lines)
        assert abs(float(jumps[0].split()[0].split(":")[1]) - source.position_s) < 0.15, (jumps, source.position_s)
        first_jump = jumps[0]
        await pilot.press("down")  # a line of its own ends the run: the next seek is a new line
        await pilot.press("right")
        await wait_for(pilot, lambda: source.position_s > 14.5, "the seek to 15 s")
        await pilot.pause()
        at = first_jump.split()[0]
        assert list(app.w_log.lines[-3:])[:2] == [first_jump, f" {at}  Now: Hamstrings"], list(app.w_log.lines)
        assert app.w_log.lines[-1].endswith("  Jumped here") and app.w_log.lines[-1] != first_jump


async def test_the_replay_footer_fits_100_columns():
    # "... - Slower n Next hold u Unit b Bel": the replay's keys ran past 100 columns.
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey, FooterLabel

    app = app_for(replay(recording("imu_routine.smr"), speed=1.0))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the replay to open")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = {key.key: key for key in footer.query(FooterKey)}
        assert {"q", "question_mark", "space", "left", "right", "plus", "minus", "n"} <= set(keys)
        assert footer.virtual_size.width <= 100, footer.virtual_size
        assert all(0 < key.region.right <= 100 for key in keys.values())
        for label in footer.query(FooterLabel):  # "←→ Seek +- Speed": a space after a shared label too
            after = [key.region.x for key in keys.values() if key.region.x >= label.region.right]
            assert not after or min(after) > label.region.right, label.region


async def test_the_event_log_wraps_what_it_cannot_show_in_one_line():
    # At 60x18 the log is ~21 columns: "1:08.0  Hold ended:" was all a hold's end said.
    app = app_for(make_source("sim:?seed=7&rate=10"))
    entry = " 1:08.0  Hold ended: 17.1 s at 306 N"
    async with app.run_test(size=(60, 18)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        log = app.w_log
        log.write_line(entry)
        await pilot.pause()
        lines = list(log.lines)
        first = lines.index(" 1:08.0  Hold ended:")
        rest = []
        for line in lines[first + 1 :]:  # its continuation lines, up to the next event's time
            if not line.startswith(" " * 9):
                break
            rest.append(line)
        assert " ".join(line.strip() for line in [lines[first], *rest]) == entry.strip(), lines
        assert rest and all(len(line) <= log.scrollable_content_region.width for line in [lines[first], *rest])
        await pilot.resize_terminal(100, 30)  # room again: one line
        await pilot.pause()
        assert entry in log.lines and " 1:08.0  Hold ended:" not in log.lines


async def test_a_full_event_log_keeps_showing_the_newest_events():
    # Past its 300 lines (about an hour of events) the log stopped repainting: the screen kept
    # showing an old "Rolling" while the session went on.
    app = app_for(make_source("sim:?seed=7&rate=10"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        log = app.w_log
        for i in range(log.max_lines + 20):
            log.write_line(f" 9:{i:04d}  event {i}")
            if i % 10 == 0 or i >= log.max_lines:  # drawn on the way, as a session's events are
                await pilot.pause()
        shown = app.export_screenshot()
        assert f"event&#160;{log.max_lines + 19}" in shown


async def test_the_event_log_follows_the_newest_events_after_the_terminal_is_resized():
    # Laid out again to a smaller log, it stayed scrolled where the bigger one had ended: every
    # event after the resize was written below the view, and the log showed an old "Rolling" for
    # the rest of the session, back at full size too (the cap's line never came into view).
    app = app_for(make_source("sim:?seed=7&rate=10"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        log = app.w_log
        for i in range(8):  # more than the big log shows (it is scrolled), each wrapped when small
            log.write_line(f" 0:{i:02d}.0  Hold ended: {i}.0 s at 274 N")
        await pilot.pause()
        for size, said in (((60, 20), "Hold on Calves"), ((120, 40), "CAP 20 s reached: release")):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause(0.2)  # laid out again to the new width: still at its newest line
            assert log.scroll_y == log.max_scroll_y, size
            log.write_line(f" 9:59.0  {said}")
            await pilot.pause()
            assert log.scroll_y == log.max_scroll_y > 0, size
            assert said.split()[-1] in app.export_screenshot(), size


@pytest.mark.parametrize("size", [(60, 18), (100, 30)])
async def test_the_event_logs_lines_keep_clear_of_its_right_edge(size):
    # A scroll bar thumb (▁ ▅ ▇) sat inside the log's border, and the lines laid out before it
    # appeared ran up against it: "… 2.0 ▇" / "s over the cap".
    app = app_for(make_source("sim:?seed=7&rate=10"))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        log = app.w_log
        for i in range(6):  # written at once, as a burst of events is: more than the log shows
            log.write_line(f" 1:{i:02d}.0  Hold ended: 22.0 s, 2.0 s over the cap, mean 306 N")
        await pilot.pause()
        await pilot.pause(0.2)
        inside = log.region.shrink(log.styles.gutter)  # the border off
        edge_x = inside.right - 1
        for y in range(inside.y, inside.bottom):
            widget, _ = app.screen.get_widget_at(edge_x, y)
            assert widget is log, (y, widget)  # no scroll bar in the last column
        assert all(len(line) < inside.width for line in log.lines), list(log.lines)
        assert log.scroll_y == log.max_scroll_y > 0  # still following the newest line


async def test_a_two_row_plot_labels_its_bottom_row_zero():
    # At 60x18 the plot has two rows: the bottom one was labelled with half the scale ("300 ┤").
    app = app_for(replay(recording("force_routine.smr"), speed=1.0))
    async with app.run_test(size=(60, 18)) as pilot:
        plot = app.query_one(ForcePlot)
        await wait_for(pilot, lambda: plot.data is not None, "the plot")
        await pilot.pause()
        rows = shown(plot)[1:-2]  # between the border's top and the time axis
        assert len(rows) == 2, shown(plot)
        scale = f"{plot.data.scale_n:.0f}"
        assert rows[0].startswith(f"│ {scale} ┤") and rows[1].startswith(f"│ {'0'.rjust(len(scale))} ┤"), shown(plot)

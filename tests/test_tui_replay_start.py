"""A replay that starts late, or skips ahead, keeps the user's muscle groups and says its summary is partial."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.recording import Recording, RecordingWriter, load_any
from tui_helpers import app_for, recording, replay, summary_shown, wait_for

SIZE = (100, 32)
# imu_routine.smr: Calves from 0 s, Hamstrings from 65.07 s, Quads from 143.76 s; holds start at
# 20.1, 49.9, 92.0 and 162.4 s.


def holds_per_group(app) -> dict[str, int]:
    return {g.key: g.hold_count for g in app.session.outcome.summary.groups if g.hold_count}


async def test_a_late_start_files_holds_under_the_group_of_the_time_and_saves_no_summary(tmp_path):
    rec = recording("imu_routine.smr")
    source = replay(rec, start_s=150.0)  # as `replay --start 150`
    app = app_for(source, summary_path=tmp_path / "imu_routine.smr")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        assert holds_per_group(app) == {"quads": 1}
        outcome = app.session.outcome
        assert outcome.summary.skipped_s == pytest.approx(150.0, abs=0.02)
        assert outcome.note == "Not saved: 150 s of the file were skipped."
        assert not list(tmp_path.iterdir())  # the whole session's summary is never replaced by a part
        await pilot.press("q")


async def test_seeking_past_a_group_change_follows_it(tmp_path):
    rec = recording("imu_routine.smr")
    source = replay(rec, speed=1.0, start_s=58.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")
        await pilot.press("right", "right")  # 58 -> 68 s: over the change to Hamstrings at 65.07 s
        await wait_for(pilot, lambda: source.position_s >= 67.0, "the seek to land")
        source.set_speed(float("inf"))
        await pilot.press("space")
        await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
        assert holds_per_group(app) == {"hamstrings": 1, "quads": 1}
        await pilot.press("q")


def long_roll_then_hold(path: Path) -> Recording:
    """10 minutes of rolling before a hold: at the jump's 50x that is 12 s of wall time, so the jump is
    still under way when the test looks, however slow the machine (33 s of imu_routine.smr was 0.7 s)."""
    info = StreamInfo("test", "roller-1", "Roller", (Channel("force", unit="N"),), 50.0)
    t = np.arange(0, 640, 0.02)
    rolling = 300.0 * (1 + 0.3 * np.sin(2 * np.pi * t / 4))
    force = np.where(t < 2, 0.0, np.where(t < 602, rolling, 300.0))
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(t, force))
    return load_any(path)


async def test_pausing_or_seeking_cancels_a_jump_to_the_next_hold(tmp_path):
    # The fast-forward of `n` survived a pause and a seek: resuming raced on to the next hold.
    source = replay(long_roll_then_hold(tmp_path / "long_roll.smr"), speed=1.0, start_s=60.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space", "n")
        assert app.replay.fast_forwarding and source.speed == 50.0
        await pilot.press("space")  # pause: the jump is off, the user's speed is back
        assert source.paused and not app.replay.fast_forwarding and source.speed == 1.0
        await pilot.press("space", "n", "left")  # a seek takes over too
        assert not app.replay.fast_forwarding and source.speed == 1.0
        await pilot.press("q")


async def test_next_hold_pressed_while_paused_lands_on_the_hold_paused(tmp_path):
    # It used to play on from the hold: a user studying a paused replay lost their place.
    source = replay(long_roll_then_hold(tmp_path / "long_roll.smr"), speed=1.0, start_s=60.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")
        await wait_for(pilot, lambda: source.paused, "the pause")
        await pilot.press("n")
        assert app.replay.fast_forwarding and not source.paused
        await wait_for(pilot, lambda: not app.replay.fast_forwarding, "the jump to reach the hold")
        assert source.paused and source.speed == 1.0
        landed_s = source.position_s
        await pilot.pause(0.3)
        assert source.position_s == landed_s  # it stays there
        assert app.session.status.state == "hold"  # on the hold
        await pilot.press("q")


async def test_next_hold_pressed_twice_goes_past_the_first_hold_to_the_second(tmp_path):
    # A second `n` while the first was still fast-forwarding was dropped: it stopped on the first hold.
    info = StreamInfo("test", "roller-1", "Roller", (Channel("force", unit="N"),), 50.0)
    t = np.arange(0, 300, 0.02)
    rolling = 300.0 * (1 + 0.3 * np.sin(2 * np.pi * t / 4))  # 150 s of rolling: 3 s at 50x
    still = ((t >= 150) & (t < 180)) | ((t >= 250) & (t < 280))
    force = np.where(t < 2, 0.0, np.where(still, 300.0, rolling))
    with RecordingWriter(tmp_path / "two_holds.smr", info) as w:
        w.append(SampleBlock.build(t, force))
    source = replay(load_any(tmp_path / "two_holds.smr"), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")
        await wait_for(pilot, lambda: source.paused, "the pause")
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: not app.replay.fast_forwarding, "the jump to reach a hold", limit_s=60.0)
        assert source.paused and source.speed == 1.0
        assert 250.0 < source.position_s < 260.0 and app.session.status.state == "hold"
        assert app.session.status.holds == 1  # the first hold, passed on the way
        await pilot.press("q")


async def test_a_replay_quit_early_says_where_in_the_file_it_stopped(tmp_path):
    # `replay --start 90`, quit three seconds in: it stopped at 93 s of the file (as the playback
    # bar shows it), not "at 3 s".
    source = replay(recording("imu_routine.smr"), speed=1.0, start_s=90.0)
    app = app_for(source, summary_path=tmp_path / "imu_routine.smr")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("space")
        await pilot.press("right")  # +5 s: paused, so the position is exact
        await wait_for(pilot, lambda: source.position_s >= 94.0, "the seek to land")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.session.last_t_s is not None and app.session.last_t_s >= 95.0, "samples from 95 s")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.session.outcome is not None, "the session to finish")
        stopped = app.session.last_t_s - source.start_s
        assert 95.0 <= stopped < 110.0
        assert app.session.outcome.note == f"Not saved: the replay stopped at {stopped:.0f} s, before the end of the file."
        assert not list(tmp_path.iterdir())


async def test_a_replay_whose_groups_were_changed_by_hand_saves_no_summary(tmp_path):
    # The file's own group changes say where each hold was; ↓ pressed in a replay mixed the user's
    # choice with them and saved a summary the recording does not give (analyze, export).
    source = replay(recording("edge_hold_19s.csv"), speed=16.0)
    app = app_for(source, summary_path=tmp_path / "edge_hold_19s.csv")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("down")
        await wait_for(pilot, lambda: summary_shown(app), "the end of the replay")
        assert holds_per_group(app) == {"hamstrings": 1}  # on screen, as the user chose
        assert app.session.outcome.note == (
            "Not saved: the muscle groups were changed during the replay, so it is not the recorded session."
        )
        assert not list(tmp_path.iterdir())


async def test_a_long_gap_in_a_file_shows_no_signal_and_is_not_waited_out():
    # A roller left off for an hour with the recorder running: the replay shows the gap for a few
    # seconds ("no samples", NO SIGNAL, no force), then goes on at the next sample, where stream
    # time has jumped as it did live; the summary counts the loss of signal.
    import dataclasses

    from smr_sense.tui.widgets import ForceReadout, StateBadge, StatusHeader

    rec = recording("imu_routine.smr", until_s=60.0)
    t = rec.block.t_s.copy()
    t[t >= 40.0] += 3600.0
    rec = dataclasses.replace(rec, block=dataclasses.replace(rec.block, t_s=t))
    source = replay(rec, speed=8.0, start_s=30.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        header, badge = app.query_one(StatusHeader), app.query_one(StateBadge)
        await wait_for(pilot, lambda: header.link_state == "gap", "the gap")
        assert badge.state == "nosignal" and app.query_one(ForceReadout).force_n is None
        assert source.position_s < 40.0
        await wait_for(pilot, lambda: source.position_s > 3640.0, "the samples after the gap", limit_s=10.0)
        await wait_for(pilot, lambda: header.link_state != "gap", "the samples again")
        assert header.link_state in ("streaming", "ended")
        await wait_for(pilot, lambda: summary_shown(app), "the end")
        summary = app.session.outcome.summary
        assert summary.signal_lost == 1 and summary.signal_lost_s == pytest.approx(3600.0, abs=0.1)

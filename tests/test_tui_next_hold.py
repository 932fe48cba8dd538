"""`n` (next hold) in a replay with no hold left to go to: said, and the replay stays where it was."""

from __future__ import annotations

from tui_helpers import app_for, recording, replay, summary_shown, wait_for

SIZE = (100, 32)
# imu_routine.smr: holds start at 20.1, 49.9, 92.0 and 162.4 s (the last confirmed by 164 s); it lasts 180 s.
NO_MORE_HOLDS = "No more holds in this replay."


def notes(app) -> list[str]:
    """What the app says in toasts, from now on."""
    said: list[str] = []
    notify = app.notify

    def noting(message, **kwargs):
        said.append(message)
        return notify(message, **kwargs)

    app.notify = noting
    return said


async def test_next_hold_after_the_last_hold_says_so_and_keeps_position_and_speed(tmp_path):
    # It fast-forwarded to the end of the file: the replay ended, its summary came up, and the
    # bar kept showing the jump's 50x; with --start, the partial replay was lost for good.
    source = replay(recording("imu_routine.smr"), speed=1.0, start_s=166.0)
    app = app_for(source, summary_path=tmp_path / "imu_routine.smr")
    async with app.run_test(size=SIZE) as pilot:
        said = notes(app)
        await wait_for(pilot, lambda: app.session.last_t_s is not None, "the first samples")
        await pilot.press("space")
        await wait_for(pilot, lambda: source.paused, "the pause")
        position_s = source.position_s
        await pilot.press("n")
        await pilot.pause(0.3)
        assert not app.replay.fast_forwarding
        assert source.paused and source.speed == 1.0 and source.position_s == position_s
        assert not summary_shown(app) and app.session.outcome is None
        assert said == [NO_MORE_HOLDS]
        await pilot.press("space")  # the replay plays on as before
        await wait_for(pilot, lambda: source.position_s > position_s, "the replay to play on")
        await pilot.press("q")


async def test_next_hold_pressed_past_the_holds_left_goes_to_the_last_one(tmp_path):
    # From 150 s one hold is left: `n n` says there is no second one, and lands on the first, paused.
    source = replay(recording("imu_routine.smr"), speed=1.0, start_s=150.0)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        said = notes(app)
        await wait_for(pilot, lambda: app.session.last_t_s is not None, "the first samples")
        await pilot.press("space")
        await wait_for(pilot, lambda: source.paused, "the pause")
        await pilot.press("n", "n")
        assert said == [NO_MORE_HOLDS]
        await wait_for(pilot, lambda: not app.replay.fast_forwarding, "the jump to reach the hold")
        assert source.paused and source.speed == 1.0
        assert 162.0 < source.position_s < 170.0 and app.session.status.state == "hold"
        await pilot.press("n")  # on the last hold: nothing after it
        assert said == [NO_MORE_HOLDS, NO_MORE_HOLDS]
        assert source.paused and not summary_shown(app)
        await pilot.press("q")

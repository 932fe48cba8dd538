"""The cap alarm on screen: a 25 s hold raises RELEASE at 20.0 s of stream time, within one sample
and not before; a 19 s hold never does. Stream time only, so any replay speed gives the same answer."""

from __future__ import annotations

from smr_sense.core.events import HoldCapReached, HoldStarted
from smr_sense.tui.messages import SessionEvents
from tui_helpers import app_for, recording, replay, summary_shown, wait_for

RATE_HZ = 100.0  # the edge-case files are sampled at 100 Hz
ONE_SAMPLE_S = 1.0 / RATE_HZ


async def run_replay(name: str, speed: float):
    """Replay ``name``; return (events, frames, bells, app). A frame is what one redraw put on screen."""
    rec = recording(name)
    app = app_for(replay(rec, speed=speed), bell=True)
    events, frames, bells = [], [], []
    redraw = app._refresh_view

    def redraw_and_note() -> None:
        redraw()
        timer = app.w_timer
        frames.append((app.session.now_s, timer.active, timer.warning, timer.capped, str(timer.render())))

    app._refresh_view = redraw_and_note
    # A ring notes the alarm it rang under and how many repeats had rung: handling the cap's event
    # rings with (cap time, 0). Not the session's clock, which the replay moves on meanwhile.
    app.bell = lambda: bells.append((app.alarm_t_s[-1] if app.alarm_t_s else None, app._bells))

    def hook(message):
        if isinstance(message, SessionEvents):
            events.extend(message.events)

    async with app.run_test(size=(100, 32), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: summary_shown(app), "the end of the replay", limit_s=30)
    return events, frames, bells, app


async def test_a_25_s_hold_raises_release_at_20_s_of_stream_time():
    events, frames, bells, app = await run_replay("edge_hold_25s.csv", speed=16.0)
    start = next(e for e in events if isinstance(e, HoldStarted))
    caps = [e for e in events if isinstance(e, HoldCapReached)]
    assert len(caps) == 1
    cap = caps[0]
    # Within one sample of start + 20 s, and not before it.
    assert 0.0 <= cap.t_s - (start.start_s + 20.0) < ONE_SAMPLE_S
    assert app.alarm_t_s == [cap.t_s]
    assert bells[:1] == [(cap.t_s, 0)]  # the bell rang with the alarm itself, not a later repeat
    before = [f for f in frames if f[0] < cap.t_s]
    during = [f for f in frames if cap.t_s <= f[0] < start.start_s + 25.0]
    assert before and during  # the screen was drawn on both sides of the cap
    assert not any(capped for _, _, _, capped, _ in before)
    assert any(warning and active for _, active, warning, _, _ in before)  # the amber warning came first
    assert all(capped and "RELEASE" in text for _, _, _, capped, text in during)


async def test_a_19_s_hold_never_raises_it():
    events, frames, bells, app = await run_replay("edge_hold_19s.csv", speed=16.0)
    assert any(isinstance(e, HoldStarted) for e in events)
    assert not any(isinstance(e, HoldCapReached) for e in events)
    assert app.alarm_t_s == [] and bells == []
    assert frames and not any(capped for *_, capped, _ in frames)
    assert any(warning for _, _, warning, _, _ in frames)


async def test_the_alarm_comes_at_the_same_stream_time_at_any_speed():
    fast = await run_replay("edge_hold_25s.csv", speed=float("inf"))
    slow = await run_replay("edge_hold_25s.csv", speed=16.0)
    assert fast[3].alarm_t_s == slow[3].alarm_t_s and len(fast[3].alarm_t_s) == 1


def test_the_cap_lands_on_the_true_hold_start_of_the_file():
    """Against the file's ground truth (the hold starts when the last pass stops), the announced cap
    is within the gyro build's cap-error target of true start + 20 s, and never before it by more."""
    import json

    from smr_sense.core.pipeline import analyze_block
    from tui_helpers import RECORDINGS

    rec = recording("edge_hold_25s.csv")
    truth = json.loads((RECORDINGS / "edge_hold_25s.csv.truth.json").read_text())["segments"]
    true_start = next(s["start_s"] for s in truth if s["kind"] == "hold")
    cap = next(e for e in analyze_block(rec.info, rec.block, rec.markers).events if isinstance(e, HoldCapReached))
    assert abs(cap.t_s - (true_start + 20.0)) <= 0.5

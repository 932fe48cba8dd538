"""The hold timer, warning and cap, on hand-made streams where the hold's start is known exactly."""

import numpy as np
import pytest

from smr_sense.core.events import HoldCapReached, HoldEnded, HoldStarted, HoldWarning
from smr_sense.core.pipeline import Pipeline, SessionSettings, analyze_block
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo

RATE = 100.0


def info(**extra):
    return StreamInfo(
        "test", "hand-made", "hand-made roller", (Channel("load", "N"),), RATE, has_gyro=True,
        roller_radius_m=0.06, extra=extra,
    )


def still_on_roller(start_s: float, stop_s: float, force_n: float = 300.0, until_s: float | None = None) -> SampleBlock:
    """Idle until ``start_s``, then weight on a roller that does not turn until ``stop_s``, then idle."""
    until = until_s if until_s is not None else stop_s + 2.0
    t = np.arange(0, int(round(until * RATE))) / RATE
    f = np.where((t >= start_s) & (t < stop_s), force_n, 0.0)
    return SampleBlock.build(t, f, np.zeros((len(t), 3)))


def events_of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_cap_is_announced_at_exactly_start_plus_cap_and_not_a_sample_before():
    block = still_on_roller(3.0, 40.0)
    p = Pipeline(info())
    seen = []
    cap_start = None
    for i in range(len(block)):
        seen += p.feed(block.slice(i, i + 1)).events
        t = block.t_s[i]
        started = events_of(seen, HoldStarted)
        if started and cap_start is None:
            cap_start = started[0].start_s
        if cap_start is not None and t < cap_start + 20.0 - 1e-9:
            assert not events_of(seen, HoldCapReached), f"capped early at t={t}"
    # Lowering on and staying still: the hold starts at contact (one sample late: the spike filter).
    assert cap_start == pytest.approx(3.0 + 1 / RATE)
    caps = events_of(seen, HoldCapReached)
    assert len(caps) == 1 and caps[0].t_s == cap_start + 20.0 and caps[0].cap_s == 20.0


def test_nineteen_ninety_nine_is_not_capped_and_twenty_is():
    # The hold starts at contact and ends when the weight leaves: 19.99 s vs 20.00 s of hold.
    short = analyze_block(info(), still_on_roller(3.0, 22.99))
    exact = analyze_block(info(), still_on_roller(3.0, 23.00))
    assert len(short.holds) == 1 and len(exact.holds) == 1
    assert short.holds[0].duration_s == pytest.approx(19.99, abs=1e-9)
    assert exact.holds[0].duration_s == pytest.approx(20.00, abs=1e-9)
    assert not short.holds[0].capped and short.holds[0].cap_at_s is None
    assert not events_of(short.events, HoldCapReached)
    start = exact.holds[0].start_s
    assert exact.holds[0].capped and exact.holds[0].cap_at_s == pytest.approx(start + 20.0, abs=1e-9)
    assert events_of(exact.events, HoldCapReached)[0].t_s == pytest.approx(start + 20.0, abs=1e-9)


def test_warning_comes_five_seconds_before_the_cap_and_over_cap_time_is_tracked():
    result = analyze_block(info(), still_on_roller(3.0, 30.0))
    start = result.holds[0].start_s
    warning = events_of(result.events, HoldWarning)
    assert len(warning) == 1 and warning[0].t_s == pytest.approx(start + 15.0) and warning[0].remaining_s == 5.0
    ended = events_of(result.events, HoldEnded)[0]
    assert ended.capped and ended.over_cap_s == pytest.approx(ended.end_s - (start + 20.0))
    assert ended.over_cap_s == pytest.approx(30.0 - 23.0, abs=0.02)
    assert result.holds[0].mean_force_n == pytest.approx(300.0)



@pytest.mark.parametrize("cap_s, warning_s", [(6.0, 5.5), (10.0, 9.9)])
def test_a_warning_announced_late_says_the_time_actually_left(cap_s, warning_s):
    # A warning set further before the cap than the hold takes to confirm cannot come on time: it
    # comes at the confirmation, and "5.5 s to go" then would be a wrong countdown.
    result = analyze_block(info(), still_on_roller(3.0, 30.0), settings=SessionSettings(hold_cap_s=cap_s, warning_before_cap_s=warning_s))
    start, confirmed = result.holds[0].start_s, result.holds[0].confirmed_s
    assert confirmed > start + cap_s - warning_s  # the premise: confirmed after the warning's time
    (warning,) = events_of(result.events, HoldWarning)
    assert warning.t_s == confirmed and warning.remaining_s == pytest.approx(start + cap_s - confirmed)
    assert 0 < warning.remaining_s < warning_s

@pytest.mark.parametrize("cap_s, said", [(20.0, "hold: 5 s to go"), (7.0, "hold: 3.5 s to go"), (9.0, "hold: 4.5 s to go")])
def test_the_warning_says_the_seconds_left_as_they_are(cap_s, said):
    # A cap under 10 s warns half way: 3.5 s left was said "4 s to go", and 4.5 s "4 s to go".
    result = analyze_block(info(), still_on_roller(3.0, 30.0), settings=SessionSettings(hold_cap_s=cap_s))
    (warning,) = events_of(result.events, HoldWarning)
    assert warning.text() == said


def test_cap_setting_is_honoured():
    result = analyze_block(info(), still_on_roller(3.0, 30.0), settings=SessionSettings(hold_cap_s=10.0, warning_before_cap_s=2.0))
    start = result.holds[0].start_s
    assert events_of(result.events, HoldCapReached)[0].t_s == pytest.approx(start + 10.0)
    assert events_of(result.events, HoldWarning)[0].t_s == pytest.approx(start + 8.0)


def test_status_reports_the_running_hold():
    block = still_on_roller(3.0, 40.0)
    p = Pipeline(info())
    p.feed(block.slice(0, int(25.0 * RATE) + 1))  # up to t = 25.00 s
    s = p.status
    assert s.state == "hold" and s.hold_start_s == pytest.approx(3.01)
    assert s.hold_elapsed_s == pytest.approx(21.99) and s.warning and s.capped
    assert s.over_cap_s == pytest.approx(1.99)


def test_ceiling_in_percent_of_body_weight_warns_on_each_crossing():
    t = np.arange(0, 3000) / RATE
    f = np.where(t > 2, 300.0, 0.0) + np.where((t > 10) & (t < 12), 200.0, 0.0) + np.where((t > 20) & (t < 21), 200.0, 0.0)
    block = SampleBlock.build(t, f, np.zeros((len(t), 3)))
    # 80 kg at 50 %: 392 N. The force reaches 500 N twice.
    result = analyze_block(info(), block, settings=SessionSettings(body_mass_kg=80, ceiling_pct_bw=50))
    hits = [e for e in result.events if e.kind == "ceiling_exceeded"]
    assert len(hits) == 2
    assert hits[0].ceiling_n == pytest.approx(0.5 * 80 * 9.80665)
    assert hits[0].t_s == pytest.approx(10.01, abs=0.02)


def turning_from(t0_s: float, dps: float, until_s: float | None = None) -> SampleBlock:
    """Still on the roller from 3 s; from ``t0_s`` (to ``until_s``) it turns at ``dps`` deg/s."""
    t = np.arange(0, int(40 * RATE)) / RATE
    f = np.where(t >= 3.0, 300.0, 0.0)
    gyro = np.zeros((len(t), 3))
    gyro[(t >= t0_s) & (t < (until_s if until_s is not None else np.inf)), 0] = dps
    return SampleBlock.build(t, f, gyro)


def test_a_hold_released_just_before_the_cap_did_not_reach_it_though_the_alarm_sounded():
    # Still from 3 s, rolling slowly from 22.9 s (10 deg/s: 2 cm/s of tissue): the release shows a
    # moment after it happened, by when the alarm (at 23.01 s) has sounded. The hold is 19.9 s long:
    # it did not reach the cap, and every count of capped holds must say so, while cap_at_s still
    # says when the alarm came.
    result = analyze_block(info(), turning_from(22.9, 10.0))
    hold = result.holds[0]
    assert hold.cap_at_s == pytest.approx(hold.start_s + 20.0)
    assert events_of(result.events, HoldCapReached)[0].t_s == hold.cap_at_s  # the premise: it sounded
    assert 19.5 < hold.duration_s < 20.0 and hold.end_s < hold.cap_at_s
    assert not hold.capped and hold.over_cap_s == 0.0
    assert result.summary["holds_capped"] == 0
    ended = events_of(result.events, HoldEnded)[0]
    assert not ended.capped
    assert "before the cap" in ended.text() and "over the cap" not in ended.text()
    # analyze's table gives the alarm's time in its "cap at" column, with no seconds over.
    from smr_sense.cli.analyze import format_table
    from smr_sense.core.analysis import result_to_json

    table = format_table({**result_to_json(result), "file": "s.smr"})
    assert "(0 reached the 20 s cap)" in table
    row = table.splitlines()[3].split()
    assert row[0] == "1" and row[6:] == [f"{hold.cap_at_s:.2f}", "0.00"]


def test_no_alarm_when_the_roller_is_already_rolling_on_at_the_cap():
    # Rolling briskly from 22.9 s (60 deg/s: 13 cm/s): at 23.01 s the roller is plainly moving, though
    # the detector has not yet told a new stroke from a re-adjustment. The cap waits, the hold ends
    # (back-dated to 22.8 s), and no alarm sounds at someone already rolling on.
    block = turning_from(22.9, 60.0)
    result = analyze_block(info(), block)
    hold = result.holds[0]
    assert hold.end_s < hold.start_s + 20.0 and hold.cap_at_s is None and not hold.capped
    assert not events_of(result.events, HoldCapReached)
    # Sample by sample (live) the same.
    p = Pipeline(info())
    live = [e for i in range(len(block)) for e in p.feed(block.slice(i, i + 1)).events]
    assert [(e.kind, e.t_s) for e in live] == [(e.kind, e.t_s) for e in result.events]


def test_a_readjustment_across_the_cap_puts_the_alarm_off_until_it_settles():
    # A 0.2 s shift (20 deg/s: under 1 cm) from 22.9 s: the hold goes on, and its alarm sounds as
    # soon as the roller is still again: 23.22 s, not 23.01 s, and not more than the 0.3 s a
    # re-adjustment may take (plus the speed's own 0.2 s window) late.
    result = analyze_block(info(), turning_from(22.9, 20.0, until_s=23.1))
    hold = result.holds[0]
    assert hold.capped and hold.end_s > 39.0
    due = hold.start_s + 20.0
    assert due < hold.cap_at_s <= due + 0.5
    assert [e.t_s for e in events_of(result.events, HoldCapReached)] == [hold.cap_at_s]
    for size in (1, 3):  # live, the alarm waits just the same, whichever block the due moment is in
        p = Pipeline(info())
        block = turning_from(22.9, 20.0, until_s=23.1)
        live = [e for i in range(0, len(block), size) for e in p.feed(block.slice(i, i + size)).events]
        live += p.finish().events[len(live) :]  # the hold still open at the end
        assert [(e.kind, e.t_s) for e in live] == [(e.kind, e.t_s) for e in result.events]
    # A shift that has settled by the cap does not delay it.
    early = analyze_block(info(), turning_from(22.5, 20.0, until_s=22.7)).holds[0]
    assert early.cap_at_s == early.start_s + 20.0


def _tracker_in_a_hold(warning_before_cap_s=5.0, hold_cap_s=20.0):
    """A tracker that saw rolling from 0 s, then a hold confirmed at 13 s and dated from 10 s."""
    from smr_sense.core.detect.holds import Transition
    from smr_sense.core.session import SessionTracker

    tracker = SessionTracker(hold_cap_s, warning_before_cap_s, None, history_s=20.0)
    t = np.arange(0, 1300) / RATE
    tracker.step(t, np.full(t.size, 300.0), [Transition(0, 0.0, "rolling_started"),
                                              Transition(1299, 12.99, "hold_started", start_s=10.0)])
    return tracker, Transition


def test_a_hold_found_to_begin_elsewhere_times_its_warning_cap_and_stats_from_there():
    from smr_sense.core.events import HoldStartRevised

    tracker, Transition = _tracker_in_a_hold()
    assert tracker.rolling[-1].end_s == 10.0
    t = np.arange(1300, 4000) / RATE
    events = tracker.step(t, np.full(t.size, 300.0), [Transition(200, 15.0, "hold_redated", start_s=11.0),
                                                      Transition(2699, 39.99, "hold_ended", end_s=39.0)])
    assert events_of(events, HoldStartRevised) == [HoldStartRevised(15.0, 11.0, 10.0)]
    assert [e.t_s for e in events_of(events, HoldWarning)] == [26.0]  # 11 + 20 - 5, not 25
    assert [e.t_s for e in events_of(events, HoldCapReached)] == [31.0]
    (hold,) = tracker.holds
    assert (hold.start_s, hold.duration_s, hold.over_cap_s) == (11.0, 28.0, 8.0)
    assert tracker.rolling[-1].end_s == 11.0  # the rolling before it ran until it began


def test_a_start_found_again_after_the_warning_sounded_is_not_used():
    # The user heard "5 s left" timed from the first start: the timer does not jump under them.
    tracker, Transition = _tracker_in_a_hold(hold_cap_s=6.0, warning_before_cap_s=5.0)  # warned at 11 s
    t = np.arange(1300, 2000) / RATE
    events = tracker.step(t, np.full(t.size, 300.0), [Transition(200, 15.0, "hold_redated", start_s=11.5),
                                                      Transition(699, 19.99, "hold_ended", end_s=19.0)])
    assert [(e.kind, e.t_s) for e in events[:1]] == [("hold_cap_reached", 16.0)]  # 10 + 6, not 11.5 + 6
    assert [e.kind for e in events] == ["hold_cap_reached", "hold_ended"]
    assert tracker.holds[0].start_s == 10.0


def test_a_hold_that_goes_on_keeps_its_start_and_what_it_announced_and_is_counted_once():
    # Warned at 25 s (10 + 20 - 5), "ended" at 27 s by a weight shift, still again at once: the
    # hold goes on from 10 s. The warning is not said twice; the cap, due at 30 s while it seemed
    # over, sounds when it is known to go on (31 s); the stats cover the whole hold, shift included,
    # and its time over the cap runs from the cap (30 s), not from the late alarm.
    from smr_sense.core.events import HoldContinued

    tracker, Transition = _tracker_in_a_hold()
    t = np.arange(1300, 5000) / RATE
    force = np.where(t < 27.0, 300.0, 330.0)
    events = tracker.step(t, force, [Transition(1500, 28.0, "hold_ended", start_s=10.0, end_s=27.0),
                                     Transition(1500, 28.0, "rolling_started"),
                                     Transition(1800, 31.0, "hold_continued", start_s=10.0, end_s=27.2),
                                     Transition(3699, 49.99, "hold_ended", start_s=10.0, end_s=49.0)])
    kinds = [(e.kind, e.t_s) for e in events]
    assert kinds == [("hold_warning", 25.0), ("hold_ended", 28.0), ("rolling_started", 28.0),
                     ("hold_continued", 31.0), ("hold_cap_reached", 31.0), ("hold_ended", 49.99)]
    assert events_of(events, HoldContinued) == [HoldContinued(31.0, 10.0, 27.2)]
    (hold,) = tracker.holds
    assert (hold.start_s, hold.end_s, hold.cap_at_s, hold.over_cap_s) == (10.0, 49.0, 31.0, 19.0)
    assert hold.mean_force_n == pytest.approx((17 * 300.0 + 22 * 330.0) / 39, abs=0.5)
    assert [(r.start_s, r.end_s) for r in tracker.rolling] == [(0.0, 10.0)]  # the shift was no rolling


def test_an_events_json_reads_back_as_its_words():
    from smr_sense.core.events import HoldStartRevised, SignalLost, text_of

    for event in (HoldCapReached(68.5, 48.5, 20.0), HoldStartRevised(21.0, 13.36, 13.1), SignalLost(40.0, None)):
        assert text_of(event.to_json()) == event.text()
    # Not one of ours (another tool's file, a newer version): its fields, not an error.
    assert text_of({"kind": "hold_paused", "t_s": 3.0, "start_s": 1.234}) == "start_s=1.23"


def test_record_and_analyze_say_a_time_on_a_rounding_edge_the_same_way():
    # A hold ending at 113.345 s (as summed in float steps, a hair over) read "113.35 s" in record's
    # output and "113.34 s" in analyze --events, which words the saved (rounded) JSON.
    from smr_sense.core.events import text_of

    end_s = 113.34500000000003  # a stream time summed in float steps, a hair over 113.345
    ended = HoldEnded(113.5, 83.75, end_s, end_s - 83.75, 300.0, 320.0, True, 103.75, end_s - 103.75)
    assert ended.describe().split(None, 3)[3] == text_of(ended.saved_json())
    assert "to 113.34 s" in ended.describe()  # analyze --events words the saved JSON: text_of(...)

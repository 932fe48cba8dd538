"""The bottom-up routine: order, moving on and back, and filing holds and rolling under the right group."""

from smr_sense.core.events import CeilingExceeded, ContactLost, HoldEnded, HoldStarted, RollingStarted, SignalLost
from smr_sense.core.samples import Marker
from smr_sense.routine import ROUTINE, RoutineTracker


def hold_ended(start_s, end_s, capped=False, over_cap_s=0.0, mean=300.0, peak=350.0):
    return HoldEnded(end_s, start_s, end_s, end_s - start_s, mean, peak, capped, start_s + 20 if capped else None, over_cap_s)


def test_routine_goes_bottom_up_through_the_nine_groups():
    assert [g.key for g in ROUTINE] == [
        "calves", "hamstrings", "quads", "adductors", "glutes", "it_band", "lower_back", "upper_back", "lats",
    ]


def test_moving_on_and_back_returns_markers_and_stops_at_the_ends():
    r = RoutineTracker()
    assert r.move(-1, 0.0) is None
    m = r.move(+1, 12.5)
    assert m == Marker(12.5, "muscle_group", {"group": "hamstrings", "label": "Hamstrings", "index": 1})
    assert r.current.key == "hamstrings"
    assert r.move(-1, 13.0).data["group"] == "calves"
    for i in range(8):
        assert r.move(+1, 20.0 + i) is not None
    assert r.current.key == "lats"
    assert r.move(+1, 40.0) is None


def test_holds_and_rolling_are_filed_under_the_current_group():
    r = RoutineTracker()
    r.apply_event(RollingStarted(2.0))
    # Confirmed at 11.0 but back-dated to 10.0: rolling ended at 10.0.
    r.apply_event(HoldStarted(11.0, start_s=10.0))
    r.apply_event(hold_ended(10.0, 35.0, capped=True, over_cap_s=5.0))
    r.apply_event(RollingStarted(35.0))
    r.advance(40.0)
    assert r.rolling_s(0) == 8.0 + 5.0  # the open stretch counts for the live panel
    r.apply_marker(Marker(40.0, "muscle_group", {"group": "hamstrings"}))
    r.apply_event(ContactLost(44.0))
    r.close(50.0)
    calves, hams = r.tallies[0], r.tallies[1]
    assert calves.rolling_s == 13.0 and len(calves.holds) == 1 and calves.caps == 1 and calves.over_cap_s == 5.0
    assert hams.rolling_s == 4.0 and hams.holds == []


def test_a_hold_stays_with_the_group_it_began_on_when_the_next_is_chosen_during_it():
    r = RoutineTracker()
    r.apply_event(HoldStarted(11.0, start_s=10.0))
    r.move(+1, 20.0)  # the user picks the next group while still holding
    r.apply_event(hold_ended(10.0, 30.0))
    r.apply_event(HoldStarted(41.0, start_s=40.0))
    r.apply_event(hold_ended(40.0, 50.0))
    assert [len(t.holds) for t in r.tallies[:2]] == [1, 1]
    assert r.tallies[0].holds[0].start_s == 10.0 and r.tallies[1].holds[0].start_s == 40.0


def test_seeking_back_forgets_what_will_be_seen_again_and_restores_the_group():
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_event(HoldStarted(6.0, start_s=5.0))
    r.apply_event(hold_ended(5.0, 15.0))
    r.apply_event(RollingStarted(15.0))
    r.apply_marker(Marker(30.0, "muscle_group", {"group": "quads"}))
    r.apply_event(HoldStarted(41.0, start_s=40.0))
    r.apply_event(hold_ended(40.0, 50.0))
    r.apply_marker(Marker(12.0, "seek", {"from_s": 52.0}))
    assert r.current.key == "calves"
    assert r.tallies[0].holds == []  # the hold still running at 12 s will be detected again
    assert r.tallies[0].rolling_s == 5.0
    assert r.tallies[2].holds == [] and r.skipped_s == 0.0
    r.apply_marker(Marker(100.0, "seek", {"from_s": 20.0}))
    assert r.skipped_s == 80.0
    # Back to 60 s: 60-100 s is played again, only 20-60 s stays unplayed ("100 s skipped" for 41).
    r.apply_marker(Marker(60.0, "seek", {"from_s": 110.0}))
    assert r.skipped_s == 40.0
    r.apply_marker(Marker(130.0, "seek", {"from_s": 120.0}))
    assert r.skipped_s == 50.0


def test_the_report_counts_ceilings_and_lost_signals_once_across_a_seek_back():
    r = RoutineTracker()
    r.apply_events([CeilingExceeded(5.0, force_n=410.0, ceiling_n=400.0), SignalLost(10.0, gap_s=2.0)])
    r.apply_events([CeilingExceeded(20.0, force_n=420.0, ceiling_n=400.0), SignalLost(25.0, gap_s=None)])
    assert (r.exceeded_ceilings_n, r.signal_lost, r.signal_lost_s) == ((400.0, 400.0), 2, 2.0)
    r.apply_marker(Marker(15.0, "seek", {"from_s": 30.0}))  # the last two will be seen again
    assert (r.exceeded_ceilings_n, r.signal_lost, r.signal_lost_s) == ((400.0,), 1, 2.0)
    r.apply_marker(Marker(40.0, "seek", {"from_s": 16.0}))  # forward: nothing is played again
    assert (r.exceeded_ceilings_n, r.signal_lost) == ((400.0,), 1)


def test_a_seek_keeps_the_rolling_seen_before_it_in_either_direction():
    back = RoutineTracker()
    back.apply_event(RollingStarted(30.0))
    back.advance(41.0)
    back.apply_marker(Marker(36.0, "seek", {"from_s": 41.0}))  # back into the same stretch
    assert back.tallies[0].rolling == [(30.0, 36.0)]  # 36-41 s will be seen again
    ahead = RoutineTracker()
    ahead.apply_event(RollingStarted(10.0))
    ahead.advance(20.0)
    ahead.apply_marker(Marker(50.0, "seek", {"from_s": 20.0}))
    assert ahead.tallies[0].rolling == [(10.0, 20.0)] and ahead.skipped_s == 30.0


def test_unknown_group_from_a_newer_recording_is_added_not_lost():
    r = RoutineTracker()
    r.apply_marker(Marker(1.0, "muscle_group", {"group": "feet"}))
    assert r.current.key == "feet" and r.current.label == "Feet"


def test_rolling_after_a_hold_starts_where_the_hold_ended():
    r = RoutineTracker()
    r.apply_event(RollingStarted(0.0))
    r.apply_event(HoldStarted(6.0, start_s=5.0))
    r.apply_event(hold_ended(5.0, 15.0))  # announced at its end, 15.0
    r.apply_event(RollingStarted(15.4))  # rolling is confirmed a moment later
    r.close(20.0)
    assert r.tallies[0].rolling == [(0.0, 5.0), (15.0, 20.0)]


def test_routine_and_report_import_without_textual():
    import subprocess
    import sys

    code = "import sys, smr_sense.routine, smr_sense.report, smr_sense.tui.session; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_log_names_the_group_a_hold_is_filed_under_when_the_next_was_chosen_before_it_was_confirmed():
    """A hold is confirmed a few seconds after it began; a group chosen in between is not where it
    was held, and the log must say what the summary will say."""
    from smr_sense.tui.phrases import describe_event

    r = RoutineTracker()
    r.move(+1, 12.0)  # Hamstrings chosen at 12 s ...
    started = HoldStarted(14.5, start_s=11.0)  # ... while the person had already stopped on the calf at 11 s
    r.apply_event(started)
    line = describe_event(started, r, origin_s=0.0)
    r.apply_event(hold_ended(11.0, 20.0))
    filed = next(t.group.label for t in r.tallies if t.holds)
    assert filed == "Calves"
    assert line.endswith(f"Hold on {filed}")


def test_a_hold_dated_again_moves_the_end_of_the_rolling_before_it():
    from smr_sense.core.events import HoldStarted, HoldStartRevised, RollingStarted

    r = RoutineTracker()
    r.apply_event(RollingStarted(2.0))
    r.apply_event(HoldStarted(14.0, start_s=10.0))
    r.apply_event(HoldStartRevised(16.0, start_s=11.0, was_s=10.0))
    assert r.tallies[0].rolling == [(2.0, 11.0)]
    r.apply_event(HoldStartRevised(17.0, start_s=1.0, was_s=11.0))  # before the rolling began: none of it was
    assert r.tallies[0].rolling == []


def test_a_hold_that_goes_on_is_filed_once_with_no_rolling_for_the_shift_inside_it():
    # Force alone took a weight shift for the next stroke: "ended" at 22 s, still again at once.
    from smr_sense.core.events import HoldContinued, HoldStarted, RollingStarted

    r = RoutineTracker()
    r.apply_event(RollingStarted(2.0))
    r.apply_event(HoldStarted(14.0, start_s=10.0))
    r.apply_event(hold_ended(10.0, 22.0))
    r.apply_event(RollingStarted(23.0))
    r.move(+1, 24.0)  # the next group chosen in between files the open rolling under this one
    r.apply_event(HoldContinued(26.5, start_s=10.0, ended_s=22.0))
    assert r.tallies[0].holds == [] and r.tallies[0].rolling == [(2.0, 10.0)]
    r.apply_event(hold_ended(10.0, 35.0))
    (hold,) = r.tallies[0].holds
    assert (hold.start_s, hold.end_s) == (10.0, 35.0)
    assert all(not t.holds and not t.rolling for t in r.tallies[1:])

"""Event-level scoring: the match rule (start within 1.0 s, covers half), caps missed and false."""

import pytest

from smr_sense.core.scoring import Interval, Score, match, score, true_holds


def test_match_needs_the_start_within_the_collar_and_half_the_hold_covered():
    truth = [Interval(10.0, 30.0)]
    assert match([Interval(10.9, 30.0)], truth) == [(0, 0)]
    assert match([Interval(11.1, 30.0)], truth) == []  # started too late
    assert match([Interval(10.0, 19.9)], truth) == []  # covers less than half
    assert match([Interval(10.0, 20.0)], truth) == [(0, 0)]


def test_matching_is_one_to_one_closest_start_first():
    truth = [Interval(10.0, 20.0)]
    detected = [Interval(10.8, 20.0), Interval(10.1, 20.0)]
    assert match(detected, truth) == [(1, 0)]
    s = score(detected, truth)
    assert (s.matched, s.detected, s.true_holds) == (1, 2, 1)
    assert s.precision == 0.5 and s.recall == 1.0 and s.f1 == pytest.approx(2 / 3)


def test_cap_error_missed_and_false_caps():
    truth = [Interval(10.0, 35.0), Interval(50.0, 75.0), Interval(100.0, 110.0)]
    detected = [
        Interval(10.3, 35.0, cap_at_s=30.3),  # matched, cap 0.3 s late
        Interval(50.2, 75.0, cap_at_s=None),  # matched, reached 20 s but no cap: missed
        Interval(80.0, 101.0, cap_at_s=100.0),  # a cap while the user was rolling: false
    ]
    s = score(detected, truth)
    assert s.true_caps == 2 and s.missed_caps == 1 and s.false_caps == 1
    assert s.cap_errors_s == [pytest.approx(0.3)]
    assert s.start_errors_s == [pytest.approx(0.3), pytest.approx(0.2)]


def test_truth_segments_from_the_simulator_json():
    segs = [{"kind": "rolling", "start_s": 0, "end_s": 5}, {"kind": "hold", "start_s": 5, "end_s": 9}]
    assert true_holds(segs) == [Interval(5.0, 9.0)]


def test_scores_add_up():
    a = Score(true_holds=2, detected=2, matched=2, start_errors_s=[0.1])
    b = Score(true_holds=1, detected=2, matched=0, false_caps=1)
    total = a.add(b)
    assert (total.true_holds, total.detected, total.matched, total.false_caps) == (3, 4, 2, 1)


def test_a_hold_cut_off_by_the_end_of_the_recording_near_its_cap_is_not_a_missed_cap():
    truth = [Interval(340.0, 360.0)]
    late = [Interval(340.05, 360.0)]
    assert score(late, truth).missed_caps == 1
    assert score(late, truth, stream_end_s=360.0).missed_caps == 0
    assert score(late, [Interval(300.0, 360.0)], stream_end_s=360.0).missed_caps == 1


def test_announcement_delay_is_from_the_true_start_for_matched_holds_only():
    truth = [Interval(10.0, 30.0), Interval(50.0, 60.0)]
    detected = [Interval(10.4, 30.0, None, 14.2), Interval(40.0, 45.0, None, 43.0)]  # the second is false
    s = score(detected, truth)
    assert s.announce_delays_s == [pytest.approx(4.2)]
    assert s.to_json()["announce_delay_median_s"] == pytest.approx(4.2)

"""Calibrating in the middle of a session: the wizard's markers pause detection and switch the
calibration, the same way live (block by block, markers between) and in ``analyze`` (one block)."""

import copy

from smr_sense.core.events import ContactLost, HoldEnded, HoldStarted
from smr_sense.core.pipeline import CALIBRATION, CALIBRATION_ENDED, CALIBRATION_STARTED, Pipeline, analyze_block
from smr_sense.core.samples import Marker, interleave
from smr_sense.core.sim import SimConfig, simulate


def session():
    info, block, truth = simulate(SimConfig(seed=3, build="imu"), 150.0)
    hold = next(s for s in truth if s.kind == "hold" and s.duration_s > 12)
    return info, block, hold


def fed_live(info, block, markers, chunk=37):
    """Blocks of ``chunk`` samples, each marker between the blocks where it falls."""
    p = Pipeline(info)
    for item in interleave(block, markers):
        if isinstance(item, Marker):
            p.mark(item)
            continue
        for a in range(0, len(item), chunk):
            p.feed(item.slice(a, min(a + chunk, len(item))))
    return p.finish()


def test_opening_the_wizard_ends_the_hold_and_nothing_is_detected_until_it_closes():
    info, block, hold = session()
    opened_s = hold.start_s + 6.0
    closed_s = opened_s + 25.0  # weights on and off the roller in between
    markers = [Marker(opened_s, CALIBRATION_STARTED), Marker(closed_s, CALIBRATION_ENDED)]
    result = analyze_block(info, block, markers)
    ended = [h for h in result.holds if h.start_s < opened_s <= h.end_s + 0.05]
    assert len(ended) == 1 and abs(ended[0].end_s - opened_s) < 0.05
    during = [e for e in result.events if opened_s < e.t_s < closed_s]
    assert during == []
    at_open = [type(e) for e in result.events if abs(e.t_s - opened_s) < 0.05]
    assert HoldEnded in at_open and ContactLost in at_open
    # Without the markers the same stretch is one long hold (what the recording looked like before).
    plain = analyze_block(info, block)
    assert any(h.start_s < opened_s and h.end_s > opened_s + 3 for h in plain.holds)
    # After the wizard, the person rolls and holds again and is seen doing it.
    assert any(isinstance(e, HoldStarted) and e.t_s > closed_s for e in result.events)


def test_live_and_analyze_agree_across_a_recalibration():
    info, block, hold = session()
    doubled = copy.deepcopy(info.calibration)
    doubled["channels"][0]["n_per_count"] *= 2.0
    opened_s, closed_s = hold.start_s + 6.0, hold.start_s + 20.0
    markers = [Marker(opened_s, CALIBRATION_STARTED), Marker(closed_s, CALIBRATION, {"calibration": doubled})]
    live = fed_live(info, block, markers)
    whole = analyze_block(info, block, markers)
    assert live.events == whole.events
    assert [(h.start_s, h.end_s, h.mean_force_n) for h in live.holds] == [
        (h.start_s, h.end_s, h.mean_force_n) for h in whole.holds
    ]
    before = [h.mean_force_n for h in whole.holds if h.end_s <= opened_s + 0.05]
    after = [h.mean_force_n for h in whole.holds if h.start_s >= closed_s]
    assert before and after
    # Twice the newtons per count: every hold after the recalibration weighs about twice as much.
    assert min(after) > 1.5 * max(before)

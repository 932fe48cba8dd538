"""Live (any chunking, down to one sample) and offline (one block) give identical states and events."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smr_sense.core import events as ev
from smr_sense.core.pipeline import Pipeline, SessionSettings, analyze_block
from smr_sense.core.samples import Marker
from smr_sense.core.sim import SimConfig, simulate

SESSIONS = {
    build: simulate(SimConfig(seed=77, build=build, rate_hz=rate, hard=True, drop_rate=0.01, burst_per_min=2.0), 240.0)
    for build, rate in (("imu", 104.0), ("channels", 80.0), ("force", 50.0))
}

# A pressure ceiling that half the holds cross: its crossings fall inside holds and inside blocks.
CEILING_N = {
    build: float(np.median([h.peak_force_n for h in analyze_block(info, block).holds]))
    for build, (info, block, _) in SESSIONS.items()
}


def settings_for(build):
    return SessionSettings(ceiling_n=CEILING_N[build])


def whole(build):
    info, block, _ = SESSIONS[build]
    p = Pipeline(info, settings_for(build))
    out = p.feed(block)
    return out.state, out.t_s, p.finish(), out.force_n


WHOLE = {build: whole(build) for build in SESSIONS}


def chunked(build, sizes):
    info, block, _ = SESSIONS[build]
    p = Pipeline(info, settings_for(build))
    states, times, forces, events = [], [], [], []
    i, k = 0, 0
    while i < len(block):
        n = sizes[k % len(sizes)]
        out = p.feed(block.slice(i, i + n))
        states.append(out.state)
        times.append(out.t_s)
        forces.append(out.force_n)
        events += out.events
        i += n
        k += 1
    result = p.finish()
    return np.concatenate(states), np.concatenate(times), result, events, np.concatenate(forces)


@pytest.mark.parametrize("build", sorted(SESSIONS))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=12))
def test_random_chunkings_give_identical_states_and_events(build, sizes):
    states, times, result, live_events, forces = chunked(build, sizes)
    ref_states, ref_times, ref, ref_forces = WHOLE[build]
    assert np.array_equal(times, ref_times)
    assert np.array_equal(forces, ref_forces)  # auto-zero re-judges each contact onset the same way
    assert np.array_equal(states, ref_states)
    assert result.events == ref.events  # frozen dataclasses: every field, every float, exactly
    assert live_events == ref.events[: len(live_events)]
    assert result.holds == ref.holds and result.rolling == ref.rolling


@pytest.mark.parametrize("build", sorted(SESSIONS))
def test_sample_by_sample_equals_whole_array(build):
    # The live path at its most extreme: one sample per call (a one-row block takes other code paths,
    # e.g. a matrix product of one row adds in another order than a long one).
    states, _, result, _, forces = chunked(build, [1])
    ref_states, _, ref, ref_forces = WHOLE[build]
    assert np.array_equal(forces, ref_forces)
    assert np.array_equal(states, ref_states)
    assert result.events == ref.events


def test_the_sessions_exercise_every_state_and_the_cap():
    # Guard against a property that holds trivially (no holds, no caps, no crossings) for a chunking test.
    for build, (states, _, result, _) in WHOLE.items():
        assert set(np.unique(states).tolist()) == {0, 1, 2}, build
        assert any(h.capped for h in result.holds), build
        crossings = [e.t_s for e in result.events if isinstance(e, ev.CeilingExceeded)]
        assert any(h.start_s < t < h.end_s for h in result.holds for t in crossings), build


@pytest.mark.parametrize("build", sorted(SESSIONS))
def test_a_ceiling_changes_no_holds_statistics(build):
    # Crossing the ceiling is an announcement; the hold's own figures come from all of its samples.
    info, block, _ = SESSIONS[build]
    assert WHOLE[build][2].holds == analyze_block(info, block).holds


def test_analyze_block_splits_at_markers_and_reports_signal_lost():
    info, block, _ = SESSIONS["imu"]
    marker = Marker(float(block.t_s[3000]), "gap", {"gap_s": 1.5})
    result = analyze_block(info, block, [marker])
    lost = [e for e in result.events if e.kind == "signal_lost"]
    assert any(e.t_s == marker.t_s and e.gap_s == 1.5 for e in lost)


def _feed(info, block, size):
    p = Pipeline(info)
    outs = [p.feed(block.slice(i, i + size)) for i in range(0, len(block), size)]
    return np.concatenate([o.force_n for o in outs]), np.concatenate([o.state for o in outs]), p.finish()


def test_a_long_block_rezeroes_every_contact_onset_as_live_does():
    # Whole-array contact detection looks ahead in growing windows; a second onset inside the window
    # after a re-zeroed one must be re-zeroed too, as it is when the samples come one block at a time.
    info, block, _ = simulate(SimConfig(seed=3, build="imu", rate_hz=200.0, hard=True), 240.0)
    forces, states, result = _feed(info, block, len(block))
    live_forces, live_states, live_result = _feed(info, block, 50)
    assert np.array_equal(live_forces, forces)
    assert np.array_equal(live_states, states)
    assert live_result.events == result.events


def test_centre_of_pressure_of_one_sample_equals_whole_array():
    # A one-row matrix product adds in another order than a long one; the cue must not depend on it.
    info, block, _ = simulate(SimConfig(seed=3, build="channels", rate_hz=200.0, channels=4), 30.0)
    p_whole, p_one = Pipeline(info), Pipeline(info)
    whole_motion = p_whole.feed(block).motion
    one_motion = np.concatenate([p_one.feed(block.slice(i, i + 1)).motion for i in range(len(block))])
    assert np.array_equal(one_motion, whole_motion)


def test_the_force_session_dates_holds_again_so_the_chunkings_cover_it():
    assert any(isinstance(e, ev.HoldStartRevised) for e in WHOLE["force"][2].events)

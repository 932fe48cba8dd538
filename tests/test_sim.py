"""The simulated roller: deterministic, chunk-independent, physically plausible, labelled."""

import numpy as np
import pytest

from smr_sense.core.calibration import forces_n
from smr_sense.core.samples import SampleBlock
from smr_sense.core.sim import SimConfig, SimRoller, simulate
from smr_sense.core.sim import Behaviour
from smr_sense.core.sim.body import G_N_PER_KG, rolling_force
from smr_sense.core.sim.script import routine


@pytest.mark.parametrize("build", ["imu", "force", "channels"])
def test_same_seed_same_session_any_chunking(build):
    whole = SimRoller(SimConfig(seed=11, build=build)).read(12_000)
    roller = SimRoller(SimConfig(seed=11, build=build))
    rng = np.random.default_rng(0)
    parts, left = [], 12_000
    while left:
        n = int(min(left, rng.integers(1, 900)))
        parts.append(roller.read(n))
        left -= n
    assert whole.identical(SampleBlock.concat(parts))


def test_different_seeds_differ():
    a = SimRoller(SimConfig(seed=1)).read(2000)
    b = SimRoller(SimConfig(seed=2)).read(2000)
    assert not a.identical(b)


def _segments(truth, kind):
    return [s for s in truth if s.kind == kind]


@pytest.fixture(scope="module")
def imu_session():
    return simulate(SimConfig(seed=4, build="imu", rate_hz=100.0), 900.0)


def test_truth_covers_the_session_without_gaps(imu_session):
    _, _, truth = imu_session
    assert truth[0].start_s == 0.0
    for a, b in zip(truth, truth[1:]):
        assert a.end_s == pytest.approx(b.start_s)
    assert truth[-1].end_s == pytest.approx(900.0)
    assert {s.kind for s in truth} == {"idle", "transition", "rolling", "hold"}


def test_contact_force_is_a_plausible_share_of_body_weight(imu_session):
    info, block, truth = imu_session
    weight_n = info.extra["body_mass_kg"] * G_N_PER_KG
    force = forces_n(info, block.raw)[:, 0]
    for seg in _segments(truth, "rolling") + _segments(truth, "hold"):
        inside = (block.t_s >= seg.start_s + 1.0) & (block.t_s < seg.end_s)
        if inside.sum() < 50:
            continue
        share = force[inside].mean() / weight_n
        assert 0.12 < share < 0.7, (seg, share)  # 32-34 % mean, 51-55 % peaks (Baumgart 2019)
    for seg in _segments(truth, "idle"):
        inside = (block.t_s >= seg.start_s) & (block.t_s < seg.end_s)
        assert abs(force[inside].mean()) < 5.0  # unloaded roller: only sensor noise and drift


def test_gyro_turns_while_rolling_and_rests_in_holds(imu_session):
    info, block, truth = imu_session
    rate = np.abs(block.gyro_dps[:, 1].astype(float))
    rolling = np.concatenate([rate[(block.t_s >= s.start_s) & (block.t_s < s.end_s)] for s in _segments(truth, "rolling")])
    holding = np.concatenate([rate[(block.t_s >= s.start_s + 0.5) & (block.t_s < s.end_s)] for s in _segments(truth, "hold")])
    # omega = v / (2 r): 5-15 cm/s on a 5-7.5 cm roller is tens of deg/s; a hold is bias + sway.
    assert np.percentile(rolling, 90) > 20.0
    assert np.median(holding) < 3.0


def test_holds_follow_the_routine(imu_session):
    _, _, truth = imu_session
    holds = _segments(truth, "hold")
    assert len(holds) >= 5
    assert all(3.0 <= h.duration_s <= 45.5 for h in holds)
    groups = [s.group for s in truth]
    assert groups[0] == "calves" and "hamstrings" in groups  # bottom-up


def test_rolling_cadence_is_within_the_literature_range():
    _, block, truth = simulate(SimConfig(seed=9, build="imu", drop_rate=0.0, burst_per_min=0.0), 600.0)
    rate = block.gyro_dps[:, 1].astype(float)
    for seg in _segments(truth, "rolling"):
        inside = (block.t_s >= seg.start_s) & (block.t_s < seg.end_s)
        if seg.duration_s < 10:
            continue
        moving = np.abs(rate[inside]) > 5.0
        direction = np.sign(rate[inside][moving])
        reversals = int((np.diff(direction) != 0).sum())
        strokes_per_min = (reversals + 1) / seg.duration_s * 60.0
        assert 10.0 <= strokes_per_min <= 46.0, (seg, strokes_per_min)


def test_rolling_stays_on_the_muscle_and_every_pass_swings_the_force():
    """Bouts of rolling between holds go back and forth over one stretch of muscle around the spot
    where the person lowered on (they do not wander off along the body from hold to hold), and
    every full pass moves the force by the group's stroke swing (the lever law has no flat spots)."""
    plans = routine(np.random.default_rng(5), Behaviour().hard())
    groups, passes = 0, 0
    offset_m, group = 0.0, None
    for plan in plans:
        if plan.group != group:
            group, offset_m = plan.group, 0.0
            groups += 1
        if groups > 12:
            break
        if plan.kind != "roll":
            continue
        p = plan.params
        length_m = p["stroke_length_m"]
        spot_m = 2.0 * p["center_m"]
        flat = {**p, "terrain_pct": 0.0}
        for stroke in p["strokes"]:
            start_m = offset_m
            offset_m += stroke.direction * stroke.length_m
            assert abs(offset_m) <= 0.6 * length_m + 1e-9, (plan.group, offset_m, length_m)
            if stroke.length_m >= 0.8 * length_m:
                f = rolling_force(np.array([spot_m + start_m, spot_m + offset_m]), 100.0, flat)
                assert abs(f[1] - f[0]) / 100.0 >= 0.8 * p["stroke_swing_pct"] / 100.0
                passes += 1
    assert passes > 50


def test_channels_build_centre_of_pressure_moves_only_when_rolling():
    info, block, truth = simulate(SimConfig(seed=5, build="channels", channels=2), 600.0)
    f = forces_n(info, block.raw)
    total = f.sum(axis=1)
    x = np.array([c.position_m[0] for c in info.channels])
    with np.errstate(invalid="ignore", divide="ignore"):
        cop = (f * x).sum(axis=1) / total
    def travel(kind):
        out = []
        for s in _segments(truth, kind):
            inside = (block.t_s >= s.start_s + 1.0) & (block.t_s < s.end_s - 0.2)
            if inside.sum() > 100:
                out.append(np.ptp(cop[inside]))
        return np.array(out)
    assert np.median(travel("rolling")) > 0.03  # the axle travels half the tissue stroke
    assert np.median(travel("hold")) < 0.012


def test_transport_effects_drop_and_jitter():
    cfg = SimConfig(seed=3, rate_hz=100.0, drop_rate=0.05, burst_per_min=0.0, jitter_s=0.001)
    _, block, _ = simulate(cfg, 120.0)
    assert 0.9 * 12_000 < len(block) < 0.99 * 12_000
    assert np.all(np.diff(block.t_s) > 0)
    residual = block.t_s * 100.0 - np.round(block.t_s * 100.0)
    assert residual.std() > 0.02  # timestamps are not on the nominal grid


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="sensor build"):
        SimConfig(build="laser")

"""Auto-zero: only from idle stretches, only a little at a time, never a load resting on the roller."""

import numpy as np
import pytest

from smr_sense.core.pipeline import Pipeline, SessionSettings
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo

RATE = 100.0
INFO = StreamInfo("test", "zero", "test roller", (Channel("load", "N"),), RATE, has_gyro=True, roller_radius_m=0.06)


def stream(idle_level_n: float, contacts=((5.0, 15.0), (30.0, 40.0)), seconds=45.0):
    t = np.arange(int(seconds * RATE)) / RATE
    f = np.full(t.size, idle_level_n) + np.random.default_rng(0).normal(0, 0.1, t.size)
    for a, b in contacts:
        f[(t >= a) & (t < b)] += 300.0
    return SampleBlock.build(t, f, np.zeros((t.size, 3)))


def force_at(out, t):
    return float(out.force_n[np.searchsorted(out.t_s, t)])


def test_a_drifted_zero_is_corrected_at_the_next_contact_rate_limited():
    out = Pipeline(INFO).feed(stream(4.0))
    assert force_at(out, 2.0) == pytest.approx(4.0, abs=0.5)  # before any contact: the raw zero
    assert force_at(out, 10.0) == pytest.approx(300.0, abs=0.5)  # first zero: from the idle before
    assert force_at(out, 35.0) == pytest.approx(300.0, abs=0.5)


def test_the_zero_moves_at_most_at_its_rate():
    block = stream(0.0, contacts=((5.0, 15.0), (30.0, 40.0)))
    raw = block.raw.copy()
    raw[block.t_s >= 15.0] += 5.0  # the cell drifts 5 N at once while the user is off it
    out = Pipeline(INFO, SessionSettings(autozero_rate_n_per_s=0.02)).feed(SampleBlock.build(block.t_s, raw, block.gyro_dps))
    # 25 s since the last zero at 0.02 N/s: at most 0.5 N of the 5 N is taken out.
    assert force_at(out, 35.0) == pytest.approx(305.0 - 0.5, abs=0.3)


def test_a_light_load_resting_on_the_idle_roller_is_not_zeroed_away():
    out = Pipeline(INFO).feed(stream(20.0))  # a 20 N bag: below contact, but not drift
    assert force_at(out, 10.0) == pytest.approx(320.0, abs=0.5)


def test_autozero_can_be_switched_off():
    out = Pipeline(INFO, SessionSettings(autozero=False)).feed(stream(4.0))
    assert force_at(out, 10.0) == pytest.approx(304.0, abs=0.5)

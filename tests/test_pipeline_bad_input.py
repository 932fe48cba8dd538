"""Bad input to the pipeline: handled (and counted) or refused in one sentence, never a wrong answer."""

import json
import warnings

import numpy as np
import pytest

from smr_sense.core.analysis import result_to_json
from smr_sense.core.calibration import CalibrationError
from smr_sense.core.pipeline import Pipeline, analyze_block
from smr_sense.core.samples import Channel, Marker, SampleBlock, StreamInfo

RATE = 100.0


def info(unit="N", calibration=None):
    return StreamInfo("test", "bad-input", "test roller", (Channel("load", unit),), RATE, has_gyro=True,
                      roller_radius_m=0.06, calibration=calibration)


def hold_block(seconds=30.0, start=2.0, stop=28.0):
    t = np.arange(int(seconds * RATE)) / RATE
    f = np.where((t >= start) & (t < stop), 300.0, 0.0)
    return t, f, np.zeros((t.size, 3))


def test_nan_values_are_held_and_counted_and_do_not_break_a_hold():
    t, f, g = hold_block()
    f[1000:1003] = np.nan
    g[1500, 1] = np.nan
    result = analyze_block(info(), SampleBlock.build(t, f, g))
    assert len(result.holds) == 1 and result.holds[0].duration_s > 25
    assert "4 missing values (empty, NaN or infinite) were replaced by the previous good value" in result.warnings


def test_repeated_backward_and_nan_times_are_dropped_and_counted():
    t, f, g = hold_block()
    t = t.copy()
    t[500] = t[499]  # repeated
    t[800] = t[700]  # backwards
    t[900] = np.nan
    p = Pipeline(info())
    out = p.feed(SampleBlock.build(t, f, g))
    assert np.all(np.diff(out.t_s) > 0) and len(out.t_s) == len(t) - 3
    result = p.finish()
    assert any("3 samples were dropped" in w for w in result.warnings)
    assert len(result.holds) == 1


def test_a_very_long_gap_ends_the_hold_at_the_last_sample_and_reports_signal_lost():
    t, f, g = hold_block(seconds=60.0, stop=58.0)
    keep = (t < 12.0) | (t >= 24.0)  # twelve seconds without samples in the middle of a hold
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    lost = [e for e in result.events if e.kind == "signal_lost"]
    assert len(lost) == 1 and lost[0].gap_s == pytest.approx(12.01, abs=0.01) and lost[0].t_s == pytest.approx(24.0)
    assert result.holds[0].end_s == pytest.approx(11.99)
    assert len(result.holds) == 2 and result.holds[1].start_s >= 24.0  # nothing vouches for the hold across it


def test_a_hold_outlives_a_loss_of_a_few_seconds_and_its_cap_is_not_put_off():
    t, f, g = hold_block(seconds=40.0, stop=38.0)
    keep = (t < 12.0) | (t >= 15.0)  # three seconds without samples, still holding when they return
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    assert [e.kind for e in result.events].count("signal_lost") == 1
    (hold,) = result.holds
    assert hold.start_s < 3.0 and hold.end_s > 37.0
    assert hold.cap_at_s == pytest.approx(hold.start_s + 20.0)  # 20 s from the real start, not from the return


def test_the_sample_rate_is_the_rollers_not_what_a_lossy_link_delivered():
    t, f, g = hold_block()
    keep = np.arange(t.size) % 50 != 7  # one frame in fifty lost on the way, spread over the session
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    assert result.summary["samples"] == keep.sum() < t.size
    assert result.summary["sample_rate_hz"] == RATE  # samples over seconds read 98 Hz


def _rolling_block(seconds=60.0):
    """Rolling the whole time: force swinging with each stroke, the gyro turning one way then back."""
    t = np.arange(int(seconds * RATE)) / RATE
    stroke = np.sin(2 * np.pi * t / 2.0)
    f = np.where((t >= 2.0) & (t < seconds - 2.0), 300.0 + 40.0 * stroke, 0.0)
    g = np.zeros((t.size, 3))
    g[:, 0] = 120.0 * np.cos(2 * np.pi * t / 2.0)  # about the roller's axis
    return t, f, g


@pytest.mark.parametrize("how", ["gap in the file", "disconnect marker"])
def test_no_rolling_is_counted_while_no_samples_come_and_the_dashboard_counts_the_same(how):
    from smr_sense.routine import RoutineTracker

    t, f, g = _rolling_block()
    keep = (t < 20.0) | (t >= 30.0)  # ten seconds without samples in the middle of rolling
    block = SampleBlock.build(t[keep], f[keep], g[keep])
    markers = [Marker(19.99, "disconnected", {})] if how == "disconnect marker" else []
    result = analyze_block(info(), block, markers)
    assert not result.holds
    # Split at the last sample before the loss and the first after it (contact takes a sample or two).
    spans = [(r.start_s, r.end_s) for r in result.rolling]
    assert len(spans) == 2 and spans[0][1] == 19.99 and spans[1][0] == 30.0
    assert spans[0][0] == pytest.approx(2.0, abs=0.05) and spans[1][1] == pytest.approx(58.0, abs=0.05)
    assert [(e.t_s, round(e.gap_s, 2)) for e in result.events if e.kind == "signal_lost"] == [(30.0, 10.01)]
    assert result.summary["rolling_time_s"] == pytest.approx(18.0 + 28.0, abs=0.1)
    assert result.summary["sample_rate_hz"] == pytest.approx(RATE)  # the rate it sent at, gap or not
    tracker = RoutineTracker()  # what the dashboard's routine panel and the saved summary count
    tracker.apply_events(result.events)
    tracker.close(float(t[keep][-1]))
    assert sum(tally.rolling_s for tally in tracker.tallies) == pytest.approx(result.summary["rolling_time_s"], abs=0.01)


def test_a_hold_that_ends_in_a_loss_counts_no_rolling_in_the_gap_anywhere():
    # The dashboard's tally opened rolling at the hold's end, before the gap it had just heard of.
    from smr_sense.routine import RoutineTracker

    t, f, _ = hold_block(seconds=40.0, stop=38.0)
    _, _, g = _rolling_block(40.0)
    g[t < 15.0] = 0.0  # still until the link drops at 15 s; rolling when it is back at 17.5 s
    keep = (t < 15.0) | (t >= 17.5)
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    (hold,) = result.holds
    assert hold.end_s == pytest.approx(14.99)  # the last sample before the loss
    assert result.summary["rolling_time_s"] == pytest.approx(38.0 - 17.5, abs=0.1)
    tracker = RoutineTracker()
    tracker.apply_events(result.events)
    tracker.close(float(t[keep][-1]))
    assert sum(tally.rolling_s for tally in tracker.tallies) == pytest.approx(result.summary["rolling_time_s"], abs=0.01)


def test_a_link_that_never_comes_back_is_reported_at_the_end():
    t, f, g = hold_block(seconds=30.0)
    p = Pipeline(info())
    p.feed(SampleBlock.build(t[:1500], f[:1500], g[:1500]))
    p.mark(Marker(14.99, "disconnected", {}))
    result = p.finish()
    lost = [e for e in result.events if e.kind == "signal_lost"]
    assert [(e.t_s, e.gap_s) for e in lost] == [(14.99, None)] and result.summary["signal_lost"] == 1
    assert lost[0].text() == "signal lost: the roller's link dropped and no more samples came"
    as_json = json.loads(json.dumps(result_to_json(result), allow_nan=False))
    assert [e["gap_s"] for e in as_json["events"] if e["kind"] == "signal_lost"] == [None]


def test_a_readjustment_the_link_drops_in_the_middle_of_does_not_end_the_hold():
    # Found by a user: a 0.2 s twitch split by a 2.5 s dropout ended a 24 s hold (no cap alarm),
    # because the returning rotation rate was integrated over the whole gap: 8 cm of "travel".
    t, f, g = hold_block(seconds=40.0, stop=38.0)
    twitch = ((t >= 14.9) & (t < 15.0)) | ((t >= 17.5) & (t < 17.6))
    g[twitch, 0] = -30.0  # deg/s about the roller's axis: about 6 mm of tissue in all
    keep = (t < 15.0) | (t >= 17.5)
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    (hold,) = result.holds
    assert hold.start_s < 3.0 and hold.end_s > 37.0
    assert hold.capped and hold.cap_at_s == pytest.approx(hold.start_s + 20.0)


def test_a_short_gap_is_reported_but_does_not_end_the_hold():
    t, f, g = hold_block()
    keep = (t < 12.0) | (t >= 12.8)
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    assert len(result.holds) == 1 and result.holds[0].capped
    assert [e.kind for e in result.events].count("signal_lost") == 1


def test_a_disconnect_is_reported_and_the_samples_that_return_decide_the_hold():
    t, f, g = hold_block(seconds=40.0, stop=38.0)
    still = SampleBlock.build(t, f, g)
    off = SampleBlock.build(t, np.where(t < 14.0, f, 0.0), g)  # they got off while the link was down
    for block, lasts in ((still, True), (off, False)):
        p = Pipeline(info())
        p.feed(block.slice(0, 1000))
        assert p.mark(Marker(9.99, "disconnected", {})) == []  # how long it lasts is not known yet
        assert p.status.state == "hold"
        back = p.feed(block.slice(1400, len(t)))  # the link is back at 14 s
        lost = [e for e in back.events if e.kind == "signal_lost"]
        assert [(e.t_s, round(e.gap_s, 2)) for e in lost] == [(14.0, 4.01)]
        (hold,) = p.finish().holds
        if lasts:
            assert hold.start_s < 3.0 and hold.end_s > 37.0 and hold.cap_at_s == pytest.approx(hold.start_s + 20.0)
        else:
            assert hold.end_s == pytest.approx(9.99) and not hold.capped  # the last sample before the loss


def test_saturated_counts_are_reported():
    cal = {"version": 1, "device_id": "bad-input", "channels": [
        {"name": "load", "model": "linear", "offset_counts": 0.0, "n_per_count": 0.01}]}
    t, f, g = hold_block()
    raw = f * 100.0
    raw[1000:1050] = 2**23 - 1
    result = analyze_block(info("count", cal), SampleBlock.build(t, raw, g))
    assert any("channel 'load' was at its limit for 50 samples" in w for w in result.warnings)


def test_an_empty_stream_gives_an_empty_result():
    p = Pipeline(info())
    out = p.feed(SampleBlock.empty(1, gyro=True))
    assert out.events == [] and len(out.state) == 0
    result = p.finish()
    assert result.holds == [] and result.summary["duration_s"] == 0.0


def test_raw_counts_without_a_calibration_are_refused_in_one_sentence():
    with pytest.raises(CalibrationError) as err:
        Pipeline(info("count"))
    assert str(err.value) == "channel 'load' reports raw counts and has no calibration; run smr-sense calibrate first"


def test_a_single_spike_is_not_a_contact():
    t = np.arange(1000) / RATE
    f = np.zeros(t.size)
    f[500] = 900.0  # one corrupt reading
    result = analyze_block(info(), SampleBlock.build(t, f, np.zeros((t.size, 3))))
    assert [e.kind for e in result.events] == []


def test_infinite_and_overflowing_values_are_held_like_nan_without_numpy_warnings():
    t, f, g = hold_block()
    f = f.astype(object)
    f[1000:1003] = [np.inf, -np.inf, 1e39]  # 1e39 is beyond float32: the block holds it as inf
    f[2999] = np.inf  # the last sample: no later value hides it in the median
    g[1500] = [np.inf, -np.inf, np.nan]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = SampleBlock.build(t, f.astype(np.float64), g)
        result = analyze_block(info(), block)
    assert len(result.holds) == 1 and result.holds[0].peak_force_n == pytest.approx(300.0)
    assert "7 missing values (empty, NaN or infinite) were replaced by the previous good value" in result.warnings
    json.dumps(result_to_json(result), allow_nan=False)  # valid JSON: no Infinity anywhere


@pytest.mark.parametrize("glitch_n", [5e6, -5e6, 3e4])
def test_a_value_no_roller_can_read_is_missing_even_beside_a_nan(glitch_n):
    # Held like a NaN, the glitch became two samples long and passed the spike filter as the peak.
    t, f, g = hold_block()
    f[1000], f[1001] = glitch_n, np.nan
    g[1500, 0] = 2e4  # a gyro glitch the same way
    result = analyze_block(info(), SampleBlock.build(t, f, g))
    assert len(result.holds) == 1 and result.holds[0].peak_force_n == pytest.approx(300.0)
    assert result.summary["peak_force_n"] == pytest.approx(300.0)
    # One sentence per repair, each value counted once: 1 NaN, 2 glitches.
    assert result.warnings == [
        "1 missing value (empty, NaN or infinite) was replaced by the previous good value",
        "2 values beyond what a roller can read (20000 N, 10000 deg/s) were replaced by the previous good value",
    ]


def test_values_before_any_good_one_are_read_as_zero_and_said_so():
    t, f, g = hold_block()
    f[:5] = np.nan
    f[10] = np.nan
    p = Pipeline(info())
    p.feed(SampleBlock.build(t[:3], f[:3], g[:3]))  # no good value yet in the first block
    p.feed(SampleBlock.build(t[3:], f[3:], g[3:]))
    result = p.finish()
    assert "5 missing or impossible values came before any good value on their channel and were read as zero" \
        in result.warnings
    assert "1 missing value (empty, NaN or infinite) was replaced by the previous good value" in result.warnings


def test_a_channel_that_never_has_a_value_never_claims_a_previous_good_value():
    t, f, g = hold_block()
    result = analyze_block(info(), SampleBlock.build(t, np.full(t.size, np.nan), g))
    assert not any("previous good value" in w for w in result.warnings)
    assert any(f"{t.size} missing or impossible values came before any good value" in w for w in result.warnings)


def test_an_infinite_time_is_dropped_and_does_not_hide_the_samples_after_it():
    t, f, g = hold_block()
    t = t.copy()
    t[400] = np.inf
    p = Pipeline(info())
    out = p.feed(SampleBlock.build(t[:401], f[:401], g[:401]))  # inf is the last time of this block
    out2 = p.feed(SampleBlock.build(t[401:], f[401:], g[401:]))
    assert len(out.t_s) + len(out2.t_s) == len(t) - 1
    result = p.finish()
    assert any("1 sample was dropped" in w for w in result.warnings)
    assert len(result.holds) == 1


@pytest.mark.parametrize("still_on_return", [True, False])
def test_a_warning_or_cap_due_during_a_loss_waits_for_the_samples_that_come_back(still_on_return):
    t, f, g = hold_block(seconds=40.0, stop=38.0)  # still from 2 s: the warning is due at 17 s, the cap at 22 s
    if not still_on_return:
        f = np.where(t < 19.0, f, 0.0)  # off the roller when the samples return
    keep = (t < 15.0) | (t >= 24.0)  # nine seconds without samples: both fall due in the gap
    result = analyze_block(info(), SampleBlock.build(t[keep], f[keep], g[keep]))
    times = [e.t_s for e in result.events]
    assert times == sorted(times)  # nothing is stamped inside the gap, out of order
    kinds = [e.kind for e in result.events]
    (hold,) = result.holds
    if still_on_return:
        # Announced 1 s after the return, once the samples show the hold went on; its start stays.
        assert kinds.count("hold_warning") == 1 and kinds.count("hold_cap_reached") == 1
        assert hold.start_s < 3.0 and hold.cap_at_s == pytest.approx(25.0) and hold.end_s > 37.0
        # Over the cap from start + 20 s, as the live timer counted it, not from the late alarm.
        assert hold.over_cap_s == pytest.approx(hold.duration_s - 20.0)
    else:
        assert "hold_warning" not in kinds and "hold_cap_reached" not in kinds
        assert hold.end_s == pytest.approx(14.99) and not hold.capped


@pytest.mark.parametrize("chunk", [None, 1])  # one block, and sample by sample as live
def test_off_the_roller_when_the_link_comes_back_is_not_a_moment_of_rolling(chunk):
    # The spike filter's median of three took its neighbours from before the loss: the first
    # sample back still read 300 N, and the analysis reported 0.01 s of rolling on the return.
    t, f, g = hold_block(seconds=30.0, start=2.0, stop=15.0)  # off when the link comes back at 17.5 s
    keep = (t < 14.0) | (t >= 17.5)
    block = SampleBlock.build(t[keep], f[keep], g[keep])
    p = Pipeline(info())
    for a in range(0, len(block), chunk or len(block)):
        p.feed(block.slice(a, a + (chunk or len(block))))
    result = p.finish()
    assert len(result.holds) == 1 and result.holds[0].end_s == pytest.approx(13.99)
    assert result.rolling == [] or all(r.start_s < 14.0 for r in result.rolling)
    lost = [e for e in result.events if e.kind == "contact_lost"]
    assert [e.t_s for e in lost] == [pytest.approx(17.5)]  # at the first sample back, not one later


@pytest.mark.parametrize("chunk", [None, 1])
def test_a_hold_the_link_outlives_and_nobody_on_the_roller_after_is_not_followed_by_rolling(chunk):
    # Past ``max_gap_s`` the hold ends at the last sample before the loss; with nobody on the roller
    # when the samples return, the log read "Hold ended", "Rolling", "Off the roller" at one instant.
    t, f, g = hold_block(seconds=40.0, start=2.0, stop=14.0)
    keep = (t < 13.0) | (t >= 30.0)  # 17 s without samples, off the roller when they come back
    block = SampleBlock.build(t[keep], f[keep], g[keep])
    p = Pipeline(info())
    for a in range(0, len(block), chunk or len(block)):
        p.feed(block.slice(a, a + (chunk or len(block))))
    result = p.finish()
    at_return = [e.kind for e in result.events if e.t_s == pytest.approx(30.0)]
    assert at_return == ["signal_lost", "hold_ended", "contact_lost"]
    assert len(result.holds) == 1 and result.holds[0].end_s == pytest.approx(12.99)
    assert all(r.end_s <= 13.0 for r in result.rolling)


def test_the_spike_filter_starts_afresh_after_each_loss_however_the_stream_is_chunked():
    from smr_sense.core.condition import Conditioner

    rng = np.random.default_rng(3)
    t = np.arange(3000) / RATE
    for at, length_s in ((500, 3.0), (501, 2.5), (1200, 4.0), (2999, 6.0)):  # back to back, and the last sample
        t[at:] += length_s
    f = rng.uniform(0.0, 400.0, t.size)
    block = SampleBlock.build(t, f, np.zeros((t.size, 3)))
    whole = Conditioner(info()).step(block).channel_force_n[:, 0]
    first_back = np.flatnonzero(np.diff(t) > 2.0) + 1
    assert np.array_equal(whole[first_back], block.raw[first_back, 0])  # alone: the median of itself
    for sizes in ([1], [7, 1, 300], [500, 1, 699, 2]):
        c, parts, a, k = Conditioner(info()), [], 0, 0
        while a < len(block):
            parts.append(c.step(block.slice(a, a + sizes[k % len(sizes)])).channel_force_n[:, 0])
            a, k = a + sizes[k % len(sizes)], k + 1
        assert np.array_equal(np.concatenate(parts), whole)

"""Rolling vs hold on hand-made motion (the domain's hard cases, one at a time) and on simulated sessions."""

import numpy as np
import pytest

from smr_sense.core.pipeline import analyze_block
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.core.scoring import Score, detected_holds, score, true_holds
from smr_sense.core.sim import SimConfig, simulate

RATE = 100.0
RADIUS_M = 0.06
G = 9.80665


class Person:
    """Builds tissue position x(t) and force F(t) piece by piece (tissue speed, not roller speed)."""

    def __init__(self, rng_seed: int = 0) -> None:
        self.t = [np.arange(0, 200) / RATE]  # 2 s idle
        self.x = [np.zeros(200)]
        self.f = [np.zeros(200)]
        self.rng = np.random.default_rng(rng_seed)
        self.level_n = 250.0
        self.lever_per_m = 0.6

    @property
    def now(self) -> float:
        return float(self.t[-1][-1] + 1 / RATE)

    @property
    def pos(self) -> float:
        return float(self.x[-1][-1])

    def _add(self, dur_s: float, x_of_u, f_of_u) -> None:
        n = int(round(dur_s * RATE))
        u = np.arange(1, n + 1) / n
        self.t.append(self.now + np.arange(n) / RATE)
        self.x.append(x_of_u(u))
        self.f.append(f_of_u(u))

    def lower(self, dur_s: float = 1.0) -> None:
        x0 = self.pos
        self._add(dur_s, lambda u: np.full(u.size, x0), lambda u: self.level_n * (u * u * (3 - 2 * u)))

    def force_at(self, x):
        # Leaning further along the muscle: 6 % per 10 cm; the muscle's contour: 3 % every 5 cm.
        return self.level_n * (1 + self.lever_per_m * x + 0.03 * np.sin(2 * np.pi * x / 0.05))

    def stroke(self, length_m: float, move_s: float, pause_s: float) -> None:
        x0 = self.pos
        self._add(move_s, lambda u: x0 + length_m * (1 - np.cos(np.pi * u)) / 2,
                  lambda u: self.force_at(x0 + length_m * (1 - np.cos(np.pi * u)) / 2))
        if pause_s > 0:
            x1 = self.pos
            self._add(pause_s, lambda u: np.full(u.size, x1), lambda u: np.full(u.size, self.force_at(x1)))

    def roll(self, strokes: int, length_m: float = 0.15, move_s: float = 1.4, pause_s: float = 0.3) -> None:
        for k in range(strokes):
            self.stroke(length_m if k % 2 == 0 else -length_m, move_s, pause_s if k < strokes - 1 else 0.0)

    def hold(self, dur_s: float, sway_m: float = 0.003, sway_hz: float = 0.3, sway_pct: float = 4.0,
             tremor_pct: float = 1.0, creep_pct: float = 5.0, readjust_at_s: tuple = (), readjust_m: float = 0.008,
             readjust_s: float = 0.2) -> float:
        x0, f0, start = self.pos, float(self.f[-1][-1]), self.now

        def x(u):
            tt = u * dur_s
            out = x0 + sway_m * np.sin(2 * np.pi * sway_hz * tt)
            for t0 in readjust_at_s:
                w = np.clip((tt - t0) / readjust_s, 0, 1)
                out = out + readjust_m * w * w * (3 - 2 * w)
            return out

        def f(u):
            tt = u * dur_s
            return f0 * (1 + sway_pct / 100 * np.sin(2 * np.pi * sway_hz * tt)) * (1 + creep_pct / 100 * tt / 20) * (
                1 + tremor_pct / 100 * np.sin(2 * np.pi * 10 * tt))

        self._add(dur_s, x, f)
        return start

    def lift(self, dur_s: float = 0.8) -> None:
        f0, x0 = float(self.f[-1][-1]), self.pos
        self._add(dur_s, lambda u: np.full(u.size, x0), lambda u: f0 * (1 - u * u * (3 - 2 * u)))
        self._add(2.0, lambda u: np.full(u.size, x0), lambda u: np.zeros(u.size))

    def arrays(self):
        t = np.concatenate(self.t)
        x = np.concatenate(self.x)
        f = np.concatenate(self.f) + self.rng.normal(0, 0.15, t.size)
        return t, x, f

    def imu(self) -> tuple[StreamInfo, SampleBlock]:
        t, x, f = self.arrays()
        v = np.gradient(x, t)
        gyro = np.zeros((t.size, 3))
        gyro[:, 1] = -np.degrees(v / (2 * RADIUS_M)) + 0.7 + self.rng.normal(0, 0.08, t.size)  # with a bias
        info = StreamInfo("test", "hand-imu", "hand-made imu roller", (Channel("load", "N"),), RATE,
                          has_gyro=True, roller_radius_m=RADIUS_M)
        return info, SampleBlock.build(t, f, gyro)

    def plate(self) -> tuple[StreamInfo, SampleBlock]:
        t, x, f = self.arrays()
        along = np.clip(0.5 + (x / 2) / 0.5, 0, 1)  # the axle travels half as far as the tissue
        raw = np.stack([f * along, f * (1 - along)], axis=1) + self.rng.normal(0, 0.1, (t.size, 2))
        chans = (Channel("front", "N", position_m=(0.25, 0.0)), Channel("back", "N", position_m=(-0.25, 0.0)))
        return StreamInfo("test", "hand-plate", "hand-made plate", chans, RATE), SampleBlock.build(t, raw)

    def force_only(self) -> tuple[StreamInfo, SampleBlock]:
        t, _, f = self.arrays()
        return StreamInfo("test", "hand-force", "hand-made load cell", (Channel("load", "N"),), RATE), SampleBlock.build(t, f)


def session_with_one_hold(lever_per_m: float = 0.6, length_m: float = 0.15, **hold_kwargs):
    p = Person()
    p.lever_per_m = lever_per_m
    p.lower()
    p.roll(8, length_m=length_m, pause_s=0.6)  # the longest reversal pause the domain allows
    start = p.hold(15.0, **hold_kwargs)
    p.roll(6, length_m=length_m, pause_s=0.6)
    end = start + 15.0
    p.lift()
    return p, start, end


@pytest.mark.parametrize("build", ["imu", "plate"])
def test_reversal_pauses_sway_creep_tremor_and_readjustments_give_exactly_one_hold(build):
    p, start, end = session_with_one_hold(readjust_at_s=(5.0, 10.0))
    info, block = getattr(p, build)()
    result = analyze_block(info, block)
    assert len(result.holds) == 1, [(h.start_s, h.end_s) for h in result.holds]
    hold = result.holds[0]
    assert abs(hold.start_s - start) < 0.3  # back-dated to when the motion stopped
    assert abs(hold.end_s - end) < 0.6


def test_a_readjustment_longer_than_a_centimetre_is_the_end_of_the_hold():
    p, start, _ = session_with_one_hold(readjust_at_s=(6.0,), readjust_m=0.05, readjust_s=0.8)
    info, block = p.imu()
    holds = analyze_block(info, block).holds
    assert abs(holds[0].start_s - start) < 0.3
    assert holds[0].end_s == pytest.approx(start + 6.0, abs=0.3)


def test_rolling_with_long_reversal_pauses_and_no_hold_has_no_hold():
    p = Person()
    p.lower()
    p.roll(20, pause_s=0.6)
    p.lift()
    for build in ("imu", "plate"):
        info, block = getattr(p, build)()
        assert analyze_block(info, block).holds == [], build


def test_slow_rolling_is_still_rolling():
    p = Person()
    p.lower()
    p.roll(10, length_m=0.06, move_s=4.0, pause_s=0.5)  # 1.5 cm/s at its fastest
    p.lift()
    info, block = p.imu()
    assert analyze_block(info, block).holds == []


def test_lowering_onto_a_spot_and_holding_is_a_hold_from_contact():
    p = Person()
    p.lower(0.8)
    start = p.now
    p.hold(10.0)
    p.lift()
    info, block = p.imu()
    holds = analyze_block(info, block).holds
    assert len(holds) == 1
    assert start - 0.8 <= holds[0].start_s <= start  # contact comes during the lowering


@pytest.mark.parametrize("build", ["imu", "plate"])
def test_a_hold_ended_by_lifting_off_ends_as_the_weight_comes_off(build):
    # It ended at the loss of contact, once the force had fallen below the contact threshold: up to
    # the whole lift later (12.97 s for edge_hold_then_lift.csv's 12 s hold), its mean dragged down.
    p = Person()
    p.lower(0.8)
    p.roll(6)
    p.hold(10.0)
    lift_s = p.now
    p.lift(1.0)
    result = analyze_block(*getattr(p, build)())
    assert len(result.holds) == 1
    assert lift_s <= result.holds[0].end_s <= lift_s + 0.35
    assert all(r.end_s <= result.holds[0].start_s for r in result.rolling)  # lifting off is no rolling


def test_force_only_waits_longer_for_a_stop_right_after_lowering_on():
    # Just lowered on, force alone has not seen how this person rolls: a stop waits the slowest
    # rhythm's confirmation (6 s, not 3) before it is a hold, which is still dated from contact.
    p = Person()
    p.lower(0.8)
    start = p.now
    p.hold(12.0, sway_pct=1.0, sway_m=0.001, creep_pct=1.0)
    p.lift()
    (hold,) = analyze_block(*p.force_only()).holds
    assert start - 0.8 <= hold.start_s <= start + 0.5
    assert hold.confirmed_s - hold.start_s >= 3.0 + 6.0 - 0.5  # the 3 s window settles, then 6 s (it was 3)


def test_force_only_sees_a_plain_hold_between_rolling():
    # Force alone sees rolling only where it changes the force faster than postural sway does:
    # here long strokes (25 cm) with 10 % more force per 10 cm along the muscle.
    p, start, end = session_with_one_hold(lever_per_m=1.0, length_m=0.25, sway_pct=2.0, sway_m=0.001, creep_pct=2.0)
    info, block = p.force_only()
    holds = analyze_block(info, block).holds
    assert len(holds) == 1
    assert abs(holds[0].start_s - start) < 1.0 and holds[0].end_s > start + 10.0



def rolled_onto_a_calm_hold(hold_s: float):
    """Lowered on, 8 strokes of 25 cm (10 % more force per 10 cm), then a calm hold (1 % sway and
    creep) of ``hold_s``: the person and the hold's start; what follows is the test's."""
    p = Person()
    p.lever_per_m = 1.0
    p.lower()
    p.roll(8, length_m=0.25, pause_s=0.6)
    return p, p.hold(hold_s, sway_pct=1.0, sway_m=0.001, creep_pct=1.0)


def test_force_only_announces_a_still_short_hold_while_it_lasts():
    # A stop whose force is far stiller than rolling's is announced about a second after the
    # range settles, not three: a 5.5 s hold is seen before the person rolls on.
    p, start = rolled_onto_a_calm_hold(5.5)
    p.roll(6, length_m=0.25, pause_s=0.6)
    p.lift()
    info, block = p.force_only()
    holds = analyze_block(info, block).holds
    assert len(holds) == 1
    assert abs(holds[0].start_s - start) < 1.0
    assert holds[0].confirmed_s < start + 5.5 < holds[0].end_s + 1.0


def test_force_only_dates_a_hold_again_from_its_own_sway():
    # Slow passes (3 s each) glide to a halt: the force stops changing before the roller does, so
    # the first dating, from one fixed slope, is about a second early. Five seconds into the hold
    # its own (calm) sway shows how still it is, and the start is found again, announced before
    # the warning, and used for the timer, the cap and the hold's stats, live as offline.
    from smr_sense.core.events import HoldStarted, HoldStartRevised, HoldWarning
    from smr_sense.core.pipeline import Pipeline

    p = Person()
    p.lever_per_m = 1.0
    p.lower()
    p.roll(8, length_m=0.25, move_s=3.0, pause_s=0.6)
    start = p.hold(25.0, sway_pct=1.0, sway_m=0.001, creep_pct=1.0)
    p.roll(6, length_m=0.25, move_s=3.0, pause_s=0.6)
    p.lift()
    info, block = p.force_only()
    result = analyze_block(info, block)
    first = [e for e in result.events if isinstance(e, HoldStarted)]
    again = [e for e in result.events if isinstance(e, HoldStartRevised)]
    assert len(first) == 1 and len(again) == 1 and len(result.holds) == 1
    assert start - first[0].start_s > 0.8  # dated early by the glide ...
    assert abs(again[0].start_s - start) < 0.6 and again[0].was_s == first[0].start_s  # ... and found again
    assert first[0].t_s < again[0].t_s < next(e.t_s for e in result.events if isinstance(e, HoldWarning))
    hold = result.holds[0]
    assert hold.start_s == again[0].start_s and hold.capped and hold.cap_at_s == pytest.approx(hold.start_s + 20.0, abs=0.02)
    live = Pipeline(info)
    events = [e for i in range(len(block)) for e in live.feed(block.slice(i, i + 1)).events]
    assert live.finish().events == result.events and events == result.events[: len(events)]


def held_through_a_weight_shift(shift_s: float, depth: float = 0.4):
    """A 28 s hold on one spot with a weight shift (the force dips ``depth`` for ``shift_s``) 12 s in."""
    p, start = rolled_onto_a_calm_hold(12.0)
    f0, x0 = float(p.f[-1][-1]), p.pos
    p._add(shift_s, lambda u: np.full(u.size, x0), lambda u: f0 * (1 - depth * np.sin(np.pi * u)))
    p.hold(15.0, sway_pct=1.0, sway_m=0.001, creep_pct=1.0)
    p.roll(6, length_m=0.25, pause_s=0.6)
    p.lift()
    return p, start


def test_force_only_a_hold_goes_on_through_a_weight_shift_it_first_took_for_a_stroke():
    # Force alone cannot measure travel: a 0.3 s shift of weight ends the hold as the next stroke
    # would. The roller is still again at once, so the hold goes on (HoldContinued) from its own
    # start: one hold of 28 s, and the cap sounds 20 s after the person stopped, not never.
    from smr_sense.core.events import HoldCapReached, HoldContinued, HoldEnded
    from smr_sense.core.pipeline import Pipeline, SessionSettings

    p, start = held_through_a_weight_shift(0.3)
    info, block = p.force_only()
    split = analyze_block(info, block, settings=SessionSettings(rejoin_force_s=0.0)).holds
    assert len(split) == 2 and all(h.cap_at_s is None for h in split)  # what it did before
    result = analyze_block(info, block)
    (hold,) = result.holds
    assert abs(hold.start_s - start) < 0.5 and hold.end_s > start + 27.0
    assert hold.capped and hold.cap_at_s == pytest.approx(hold.start_s + 20.0, abs=0.02)
    ended = [e for e in result.events if isinstance(e, HoldEnded)]
    (goes_on,) = [e for e in result.events if isinstance(e, HoldContinued)]
    assert goes_on.start_s == hold.start_s and goes_on.ended_s == ended[0].end_s == split[0].end_s
    assert ended[0].t_s < goes_on.t_s < next(e.t_s for e in result.events if isinstance(e, HoldCapReached))
    assert not any(hold.start_s < r.start_s < hold.end_s for r in result.rolling)  # the shift was no rolling
    live = Pipeline(info)
    events = [e for i in range(len(block)) for e in live.feed(block.slice(i, i + 1)).events]
    assert live.finish().events == result.events and events == result.events[: len(events)]


def test_force_only_still_again_only_after_half_a_second_is_a_new_hold():
    # A shift that takes half a second is as long as a short stroke: the two holds stay two.
    p, _ = held_through_a_weight_shift(0.5)
    assert len(analyze_block(*p.force_only()).holds) == 2


def test_force_only_a_slow_pass_out_of_a_calm_hold_ends_it_before_its_cap():
    # Passes of 3 s that shift the weight by 13 % never swing the force by a rolling 15 % over the
    # cue's 3 s window: the hold ran on through them and capped 2.5 s after the person rolled off.
    # Out of a calm hold's 1 % sway that swing is a rise no sway makes: the hold ends there.
    from smr_sense.core.events import HoldCapReached
    from smr_sense.core.pipeline import Pipeline

    p, start = rolled_onto_a_calm_hold(17.5)
    end = p.now
    p.roll(4, length_m=0.13, move_s=3.0, pause_s=0.3)
    p.lift()
    info, block = p.force_only()
    result = analyze_block(info, block)
    (hold,) = result.holds
    assert abs(hold.start_s - start) < 0.5 and end < hold.end_s < start + 20.0
    assert hold.cap_at_s is None and not any(isinstance(e, HoldCapReached) for e in result.events)
    live = Pipeline(info)
    events = [e for i in range(len(block)) for e in live.feed(block.slice(i, i + 1)).events]
    assert live.finish().events == result.events and events == result.events[: len(events)]


def test_force_only_quiet_is_stillness_not_a_slow_steady_change():
    # Both keep the range of the log force under a stop's 0.10 over 3 s; a slow pass changes it one way
    # the whole time, gentle sway goes back and forth.
    from smr_sense.core.detect.cues import CueSettings, FluctuationCue

    t = np.arange(0, 12.0, 1 / RATE)
    info = StreamInfo("test", "hand-force", "hand-made load cell", (Channel("load", "N"),), RATE)
    sway = 250.0 * (1 + 0.01 * np.sin(2 * np.pi * 0.4 * t))
    slow_pass = 250.0 * np.exp(0.02 * t)
    late = t > 6.0
    assert FluctuationCue(info, CueSettings()).step(t, sway, sway > 0).quiet[late].all()
    assert not FluctuationCue(info, CueSettings()).step(t, slow_pass, slow_pass > 0).quiet[late].any()

# The product's targets per sensor build (issue 3): hold F1, cap error p95 (s); zero false caps for all.
TARGETS = {"imu": (0.97, 0.5), "channels": (0.95, 0.75), "force": (0.85, 1.0)}
HELD_OUT_SEEDS = (31337, 31338, 31339, 31340)  # outside the benchmark corpus: the detector must generalise


def _held_out_score(build):
    total = Score()
    for seed in HELD_OUT_SEEDS:
        info, block, truth = simulate(SimConfig(seed=seed, build=build, rate_hz=120.0, hard=True), 300.0)
        result = analyze_block(info, block)
        total = total.add(score(detected_holds(result.holds), true_holds(truth), stream_end_s=300.0))
    return total


@pytest.mark.parametrize("build", ["imu", "channels", "force"])
def test_simulated_hard_sessions_meet_targets(build):
    # Several hard sessions scored together, as the benchmark does: one session is too few holds
    # for a per-session F1 threshold (one miss in 17 is 0.94). Force alone meets its targets on these
    # four sessions (24 holds), not yet on the benchmark's five corpora of 222 (README, Accuracy):
    # this guards what it does here.
    f1_min, cap_p95_max_s = TARGETS[build]
    s = _held_out_score(build)
    assert s.true_holds >= 20 and s.true_caps >= 5
    assert s.f1 >= f1_min, s.to_json()
    assert s.cap_error_p95_s() <= cap_p95_max_s, s.to_json()
    assert s.false_caps == 0, s.to_json()


def test_a_force_hold_open_when_the_stream_stops_says_where_it_was_dated_again():
    # `record --duration` cut the stream 3.6 s after the confirmation: the hold was closed by the
    # end of the stream, dated again then, and the event saying so was dropped with the rolling.
    from smr_sense.core.events import HoldEnded, HoldStartRevised

    p = Person()
    p.lever_per_m = 1.0
    p.lower()
    p.roll(8, length_m=0.25, move_s=3.0, pause_s=0.6)
    p.hold(4.5, sway_pct=1.0, sway_m=0.001, creep_pct=1.0)
    info, block = p.force_only()
    result = analyze_block(info, block)
    (hold,) = result.holds
    again = [e for e in result.events if isinstance(e, HoldStartRevised)]
    ended = [e for e in result.events if isinstance(e, HoldEnded)]
    assert len(again) == 1 and again[0].start_s == hold.start_s == ended[0].start_s
    assert result.events.index(again[0]) == result.events.index(ended[0]) - 1

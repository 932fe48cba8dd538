"""Calibrating in the middle of a session: the wizard's markers pause detection and switch the
calibration, the same way live (block by block, markers between) and in ``analyze`` (one block)."""

import copy
import json

import numpy as np
import pytest

from smr_sense.cli.analyze import analyze_file
from smr_sense.core.events import CeilingExceeded, ContactLost, HoldEnded, HoldStarted
from smr_sense.core.pipeline import CALIBRATION, CALIBRATION_ENDED, CALIBRATION_STARTED, Pipeline, analyze_block
from smr_sense.core.samples import Marker, interleave
from smr_sense.core.settings import SessionSettings
from smr_sense.core.sim import SimConfig, simulate
from smr_sense.core.calibration import forces_n
from smr_sense.recording import export_csv, load_any, load_recording
from smr_sense.tui.session import DashboardSession


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


def record_recalibrated(out):
    """A recorded dashboard session recalibrated in the wizard (the same calibration again) half-way:
    (the stream's calibration, when the wizard closed)."""
    info, block, hold = session()
    opened_s, closed_s = hold.start_s + 6.0, hold.start_s + 20.0
    live = DashboardSession(SessionSettings(), record_path=out)
    live.start(info)
    for item in interleave(block, [Marker(opened_s, "open"), Marker(closed_s, "close")]):
        if isinstance(item, Marker):
            live.begin_calibration() if item.kind == "open" else live.reconfigure(SessionSettings(), info.calibration)
        else:
            live.feed(item)
    live.finish()
    return info.calibration, closed_s


def test_a_calibration_given_for_an_old_session_holds_to_its_end_past_the_wizards(tmp_path):
    # `analyze --calibration FILE` and `replay --calibration FILE` applied FILE only up to where the
    # session was recalibrated in the wizard: every hold after it kept the recorded calibration.
    out = tmp_path / "recal.smr"
    calibration, closed_s = record_recalibrated(out)
    doubled = copy.deepcopy(calibration)
    doubled["channels"][0]["n_per_count"] *= 2.0
    doubled["channels"][0]["offset_counts"] = calibration["channels"][0]["offset_counts"]
    (tmp_path / "doubled.json").write_text(json.dumps(doubled))

    as_recorded = analyze_file(str(out), SessionSettings())
    given = analyze_file(str(out), SessionSettings(), calibration=str(tmp_path / "doubled.json"))
    late = [h["mean_force_n"] for h in as_recorded["holds"] if h["start_s"] > closed_s]
    late_given = [h["mean_force_n"] for h in given["holds"] if h["start_s"] > closed_s]
    assert late and len(late_given) == len(late)
    assert late_given == pytest.approx([2.0 * f for f in late], rel=0.01)
    # The wizard's pause stays where it was: nothing is announced while the weights were on.
    assert [e["kind"] for e in given["events"]] == [e["kind"] for e in as_recorded["events"]]

    # A replay under the given calibration: the same holds as analyze gives, block by block.
    rec = load_recording(out)
    replay = DashboardSession(SessionSettings(), calibration=doubled)
    replay.start(rec.info)
    heard = []
    for item in interleave(rec.block, rec.markers):
        heard += replay.mark(item) if isinstance(item, Marker) else replay.feed(item)
    ends = [(round(e.start_s, 4), round(e.mean_force_n, 4)) for e in heard if isinstance(e, HoldEnded)]
    assert ends == [(h["start_s"], h["mean_force_n"]) for h in given["holds"]][: len(ends)]
    assert any(start_s > closed_s for start_s, _ in ends)


def test_a_calibration_saved_in_the_replays_own_wizard_still_takes_over():
    # Only the recording's wizard calibrations are set aside under a given one, not the user's own now.
    info, block, hold = session()
    doubled = copy.deepcopy(info.calibration)
    doubled["channels"][0]["n_per_count"] *= 2.0
    replay = DashboardSession(SessionSettings(), calibration=doubled)
    replay.start(info)
    closed_s = hold.start_s + 20.0
    heard = []
    for item in interleave(block, [Marker(hold.start_s + 6.0, "open"), Marker(closed_s, "close")]):
        if isinstance(item, Marker):
            heard += replay.begin_calibration() if item.kind == "open" else replay.reconfigure(SessionSettings(), info.calibration)
        else:
            heard += replay.feed(item)
    plain = analyze_block(info, block)
    after = [round(e.mean_force_n) for e in heard if isinstance(e, HoldEnded) and e.start_s > closed_s]
    assert after and after == [round(h.mean_force_n) for h in plain.holds if h.start_s > closed_s][: len(after)]


def ceiling_times(events):
    return [round(e.t_s, 4) for e in events if isinstance(e, CeilingExceeded)]  # as the JSON rounds


def record_wizard_ceiling(out):
    """A live session recorded to ``out`` in which the wizard sets a ceiling at ``closed_s``:
    (what it announced, closed_s, the ceiling in N)."""
    info, block, hold = session()
    ceiling_n = 0.6 * float(np.max(analyze_block(info, block).summary["peak_force_n"]))
    opened_s, closed_s = hold.start_s + 6.0, hold.start_s + 20.0
    live = DashboardSession(SessionSettings(), record_path=out)
    live.start(info)
    said = []
    for item in interleave(block, [Marker(opened_s, "open"), Marker(closed_s, "close")]):
        if isinstance(item, Marker):
            said += live.begin_calibration() if item.kind == "open" else live.reconfigure(
                SessionSettings(body_mass_kg=80.0, ceiling_n=ceiling_n)
            )
            continue
        for a in range(0, len(item), 50):
            said += live.feed(item.slice(a, min(a + 50, len(item))))
    live.finish()
    assert live.outcome.summary.ceiling_n == pytest.approx(ceiling_n)
    return said, closed_s, ceiling_n


def test_a_ceiling_set_in_the_wizard_holds_from_there_live_in_analyze_and_in_a_replay(tmp_path):
    # The wizard's new ceiling used to live only in the running dashboard: the recording kept the
    # ceiling the session started with, so analyze and a replay announced other ceiling events.
    out = tmp_path / "live.smr"
    said, closed_s, ceiling_n = record_wizard_ceiling(out)
    times = ceiling_times(said)
    assert times and min(times) > closed_s  # none before the wizard set it, several after

    analyzed = analyze_file(str(out), SessionSettings())
    assert [e["t_s"] for e in analyzed["events"] if e["kind"] == "ceiling_exceeded"] == times
    assert analyzed["summary"]["ceiling_n"] == pytest.approx(ceiling_n, abs=0.01)

    rec = load_recording(out)
    replay = DashboardSession(SessionSettings())
    replay.start(rec.info)
    heard = []
    for item in interleave(rec.block, rec.markers):
        heard += replay.mark(item) if isinstance(item, Marker) else replay.feed(item)
    assert ceiling_times(heard) == times and replay.ceiling_n == pytest.approx(ceiling_n)

    # A ceiling given for this run stays put: the recording's own does not override it.
    pinned = analyze_file(str(out), SessionSettings(ceiling_n=1e6, pinned=frozenset({"ceiling"})))
    assert pinned["summary"]["ceiling_exceeded"] == 0 and pinned["summary"]["ceiling_n"] == 1e6


def test_recorded_settings_apply_unless_pinned_and_keep_the_form_they_were_given_in():
    pct = SessionSettings(body_mass_kg=80.0, ceiling_pct_bw=50.0)
    same = pct.as_recorded(pct.recorded())
    assert (same.ceiling_n, same.ceiling_pct_bw) == (None, 50.0)  # 392 N is still "50 %"
    moved = pct.as_recorded({"body_mass_kg": 80.0, "ceiling_n": 300.0})
    assert (moved.ceiling_n, moved.ceiling_pct_bw, moved.ceiling_force_n) == (300.0, None, 300.0)
    assert pct.as_recorded({"ceiling_n": None}).ceiling_force_n is None  # the wizard cleared it
    assert pct.as_recorded({}) == pct  # an older recording that notes nothing
    for bad in (-5, "400", float("nan"), float("inf"), True):
        assert pct.as_recorded({"ceiling_n": bad, "body_mass_kg": bad}).ceiling_force_n is None
    pinned = pct.replace(pinned=frozenset({"ceiling", "body_mass_kg"}))
    assert pinned.as_recorded({"body_mass_kg": 60.0, "ceiling_n": 300.0}) == pinned


def record_first_calibrated(out, opened_s=20.0, closed_s=35.0):
    """A dashboard session on a roller with no calibration, calibrated in the wizard from
    ``opened_s`` to ``closed_s``; returns the stream, the events announced live and the calibration."""
    info, block, hold = session()
    calibration = info.calibration
    bare = info.with_calibration(None)
    live = DashboardSession(SessionSettings(), record_path=out)
    live.start(bare)
    assert live.pipeline is None and "press c to calibrate" in live.problem
    said = []
    for item in interleave(block, [Marker(opened_s, "open"), Marker(closed_s, "close")]):
        if isinstance(item, Marker):
            said += live.begin_calibration() if item.kind == "open" else live.reconfigure(
                SessionSettings(), calibration=calibration
            )
            continue
        for a in range(0, len(item), 50):
            said += live.feed(item.slice(a, min(a + 50, len(item))))
    live.finish()
    return block, said, calibration


def test_a_roller_first_calibrated_in_the_wizard_is_analysed_from_there_as_it_was_live(tmp_path):
    # analyze used to refuse such a recording ("raw counts without a calibration") although the
    # dashboard had analysed it from the wizard on.
    out, closed_s = tmp_path / "first.smr", 35.0
    block, said, _ = record_first_calibrated(out, closed_s=closed_s)
    assert any(isinstance(e, HoldStarted) for e in said) and min(e.t_s for e in said) > closed_s

    analyzed = analyze_file(str(out), SessionSettings())
    live_events = [(e.kind, round(e.t_s, 4)) for e in said]
    assert [(e["kind"], e["t_s"]) for e in analyzed["events"]][: len(live_events)] == live_events
    assert analyzed["summary"]["start_s"] > closed_s - 0.05
    assert any("first calibrated" in w and f"{closed_s:.2f} s" in w for w in analyzed["warnings"])
    # The samples before the wizard are not lost: the recording keeps them all.
    assert len(load_recording(out).block) == len(block)


def test_its_export_has_newtons_from_the_wizard_on_and_analyses_as_the_recording(tmp_path):
    # The export used to write raw counts alone: a spreadsheet got no newtons at all.
    out, closed_s = tmp_path / "first.smr", 35.0
    block, _, calibration = record_first_calibrated(out, closed_s=closed_s)
    rec = load_recording(out)
    export_csv(rec, tmp_path / "first.csv")
    csv_rec = load_any(tmp_path / "first.csv")
    assert [c.unit for c in csv_rec.info.channels] == ["N"]
    after = block.t_s > closed_s
    assert np.isnan(csv_rec.block.raw[~after]).all()  # no force before there was a calibration
    measured = forces_n(rec.info.with_calibration(calibration), block.raw[after])
    np.testing.assert_allclose(csv_rec.block.raw[after], measured, rtol=1e-6)
    text = (tmp_path / "first.csv").read_text().splitlines()
    assert text[0].startswith("time_s,force_n,raw_0,")  # the counts are kept beside the newtons

    from_rec = analyze_file(str(out), SessionSettings())
    from_csv = analyze_file(str(tmp_path / "first.csv"), SessionSettings())
    assert from_csv["events"] == from_rec["events"] and from_csv["holds"] == from_rec["holds"]
    assert from_csv["summary"] == from_rec["summary"] and from_csv["warnings"] == from_rec["warnings"]


@pytest.mark.parametrize("warm_up_s", [120.0, 5.0])  # the wizard's markers inside / outside the warm-up
async def test_a_replay_seeking_across_the_wizard_has_the_ceiling_of_the_new_position(tmp_path, monkeypatch, warm_up_s):
    # A seek used to keep whatever ceiling the replay had reached: back before the wizard, its
    # ceiling was still in force; forward past it, the warm-up never saw the wizard's marker.
    from smr_sense.sources import make_source, replay

    monkeypatch.setattr(replay, "WARM_UP_S", warm_up_s)
    out = tmp_path / "live.smr"
    said, closed_s, ceiling_n = record_wizard_ceiling(out)
    source = make_source(f"replay:{out}?speed=max")
    session_ = DashboardSession(SessionSettings())
    seeks = [closed_s + 8.0, 3.0]  # forward past the wizard from its start, then back before it
    asked, after_seek = [], []  # after_seek: (target, the session's ceiling, the pipeline's) just after each
    async with source:
        session_.start(source.info)
        async for item in source:
            if isinstance(item, Marker):
                session_.mark(item)
                if item.kind == "seek":
                    after_seek.append((item.t_s, session_.ceiling_n, session_.pipeline.settings.ceiling_force_n))
                continue
            session_.feed(item)
            landed = len(after_seek) == len(asked)  # each seek lands before the next is asked for
            if landed and (not asked or (len(asked) == 1 and session_.now_s > closed_s + 9.0)):
                asked.append(seeks[len(asked)])
                source.playback.seek(asked[-1])
    (forward_s, *forward), (back_s, *back) = after_seek
    assert forward_s == pytest.approx(closed_s + 8.0, abs=0.02) and back_s == pytest.approx(3.0, abs=0.02)
    assert forward == [pytest.approx(ceiling_n), pytest.approx(ceiling_n)]  # the wizard's, though not replayed
    assert back == [None, None]  # before the wizard: the session had no ceiling


async def test_a_change_made_in_the_wizard_during_a_replay_survives_a_seek():
    # Nothing is recorded during a replay, so no marker brings the wizard's change back: a seek
    # used to return to the calibration and ceiling the replay had started with.
    from pathlib import Path

    from smr_sense.sources import make_source

    path = Path(__file__).resolve().parent.parent / "recordings" / "force_routine.smr"
    source = make_source(f"replay:{path}?speed=max")
    replayed = DashboardSession(SessionSettings())
    changed_at_s, back_to_s, ceiling_n = 40.0, 10.0, 123.0
    after_seek = None
    async with source:
        replayed.start(source.info)
        assert replayed.ceiling_n is None
        async for item in source:
            if isinstance(item, Marker):
                replayed.mark(item)
                if item.kind == "seek":
                    after_seek = (item.t_s, replayed.ceiling_n, replayed.pipeline.settings.ceiling_force_n)
                    break
                continue
            replayed.feed(item)
            if replayed.now_s >= changed_at_s and replayed.ceiling_n is None:
                replayed.reconfigure(replayed.settings.replace(ceiling_n=ceiling_n))
                source.playback.seek(back_to_s)
    target_s, session_ceiling_n, pipeline_ceiling_n = after_seek
    assert target_s == pytest.approx(back_to_s, abs=0.02)
    assert session_ceiling_n == pipeline_ceiling_n == pytest.approx(ceiling_n)


async def test_a_replay_of_its_export_waits_for_the_wizard_as_a_replay_of_the_recording_does(tmp_path):
    # The CSV's empty forces before the wizard were read as zero: the summary said "3495 missing
    # or impossible values ... were read as zero", and no banner said why there was no force.
    from smr_sense.recording.csv_export import unmeasured_until
    from smr_sense.sources import make_source

    out, closed_s = tmp_path / "first.smr", 35.0
    record_first_calibrated(out, closed_s=closed_s)
    export_csv(load_recording(out), tmp_path / "first.csv")
    assert unmeasured_until(load_any(out)) is None  # the recording itself has its raw counts
    wizard_s = unmeasured_until(load_any(tmp_path / "first.csv")).t_s
    assert wizard_s == pytest.approx(closed_s, abs=0.05)

    shown = {}
    for name in ("first.smr", "first.csv"):
        unmeasured = unmeasured_until(load_any(tmp_path / name))
        live = DashboardSession(SessionSettings(), force_from_s=unmeasured.t_s if unmeasured else None)
        source = make_source(f"replay:{tmp_path / name}?speed=max")
        problems = set()
        async with source:
            live.file_start_s = source.playback.start_s
            live.start(source.info)
            async for item in source:
                if isinstance(item, Marker):
                    live.mark(item)
                    continue
                live.feed(item)
                problems.add((live.now_s <= wizard_s, live.problem))  # samples at its time come before it
        live.stream_ended = True
        outcome = live.finish()
        holds = [h for g in outcome.summary.groups for h in g.holds]
        # The CSV keeps times to the microsecond and forces to float32's precision: as rounded.
        shown[name] = (
            [(round(h.start_s, 3), round(h.end_s, 3), round(h.mean_force_n, 2), h.capped) for h in holds],
            round(outcome.summary.duration_s, 3),
            outcome.warnings,
        )
        if name == "first.csv":
            assert problems == {
                (True, "No force before 0:35: the roller was first calibrated there, in the dashboard's wizard"),
                (False, None),
            }
    assert shown["first.csv"] == shown["first.smr"] and len(shown["first.csv"][0]) >= 3
    assert shown["first.csv"][2] == ()  # nothing read as zero

"""The calibration wizard through the real app: a recorded calibration bench (a bare load cell in raw
counts, unloaded, then 5 kg, then 10 kg) replayed under it; the fit, the saved profile, cancel."""

from __future__ import annotations

import dataclasses
import json
import re
from contextlib import asynccontextmanager

import numpy as np
import pytest

from smr_sense.core.calibrate import CalibrationFitError
from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.profiles import CONFIG_ENV
from smr_sense.recording import RecordingWriter, load_recording
from smr_sense.sources import make_source
from smr_sense.tui.screens.calibrate import CalibrationWizard
from smr_sense.tui.units import parse_ceiling
from smr_sense.tui.user_settings import UserSettings, load_user_settings
from smr_sense.tui.widgets import Banner
from tui_helpers import app_for, recording, replay, wait_for

OFFSET, N_PER_COUNT, RATE = 81234.0, 0.00238, 50.0


@pytest.fixture
def bench(tmp_path, monkeypatch):
    """0-6 s unloaded, 8-16 s 5 kg, 18-26 s 10 kg (2 s of handling between), HX711-like noise."""
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path / "config"))
    rng = np.random.default_rng(5)
    t = np.arange(0, 26, 1 / RATE)
    kg = np.select([t < 6, t < 8, t < 16, t < 18], [0.0, np.nan, 5.0, np.nan], 10.0)
    handling = np.isnan(kg)
    kg = np.where(handling, rng.uniform(0, 10, t.size), kg)
    raw = OFFSET + kg * G_N_PER_KG / N_PER_COUNT + rng.normal(0, 3.0, t.size)
    info = StreamInfo("bench", "bench-hx711", "Load cell on the bench", (Channel("load", unit="count"),), RATE)
    path = tmp_path / "bench.smr"
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(t, np.round(raw)))
    return path


def wizard(app) -> CalibrationWizard:
    assert isinstance(app.screen, CalibrationWizard)
    return app.screen


@asynccontextmanager
async def replayed_bench(bench, speed: str):
    """The dashboard on the bench recording replayed at ``speed``, once its stream is open."""
    source = make_source(f"replay:{bench}?speed={speed}")
    app = app_for(source)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream")
        yield pilot, app, source


async def paused_press(pilot, source, *keys, seek_s=None):
    """Keys go in while the replay is paused (the Pilot waits for an idle app after each key)."""
    source.set_paused(True)
    if seek_s is not None:
        source.seek(seek_s)
    await pilot.press(*keys)
    source.set_paused(False)


async def wizard_with_zero(pilot, app, source):
    """Open the wizard with the default weights (5, 10 kg) and take the zero on the empty bench."""
    await paused_press(pilot, source, "c", "enter", "enter", seek_s=0.0)
    w = wizard(app)
    await wait_for(pilot, lambda: len(w.results) == 1, "the zero")
    return w


async def test_wizard_zeroes_spans_and_saves_the_profile_and_settings(bench, tmp_path):
    source = make_source(f"replay:{bench}?speed=4")
    out = tmp_path / "session.smr"
    app = app_for(source, record_path=out)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream")
        # The banner is drawn on the next screen refresh after the stream opens, not at once.
        await wait_for(pilot, lambda: "press c to calibrate" in app.query_one(Banner).text, "the banner")
        w = await wizard_with_zero(pilot, app, source)
        assert w.results[0].startswith("zero over") and "load 81234 counts (noise 3." in w.results[0]
        await paused_press(pilot, source, "enter", seek_s=8.5)
        await wait_for(pilot, lambda: len(w.results) == 2, "the 5 kg point")
        await paused_press(pilot, source, "enter", seek_s=18.5)
        await wait_for(pilot, lambda: w.phase == "fit", "the fit")
        assert w.calibration.channels[0].n_per_count == pytest.approx(N_PER_COUNT, rel=0.002)
        assert w.report.max_residual_n < 0.5
        assert any("10 kg: 98.1 N known" in line for line in w.results)
        # Each channel's fit as the command line says it, model and gain included (it had left both out).
        assert re.fullmatch(r"  load: linear, zero 8123\d counts, 0\.0\d+ N per count, noise 0\.\d\d N", w.results[-1])
        source.set_paused(True)
        await pilot.press("enter")  # on to body weight
        w.query_one("#wizard-input").value = ""
        await pilot.press("8", "0", "enter")
        w.query_one("#wizard-input").value = ""
        await pilot.press("5", "0", "%", "enter")
        assert w.phase == "review"
        # Measured from a recording, it still becomes the roller's one profile: the step says so.
        assert "saves this as the profile of Load cell on the bench (bench-hx711)" in str(w.query_one("#wizard-prompt").render())
        await pilot.press("enter")
        assert not isinstance(app.screen, CalibrationWizard)
        assert app.session.problem is None and app.query_one(Banner).text == ""
        assert app.session.settings.body_mass_kg == 80.0 and app.session.settings.ceiling_pct_bw == 50.0
        assert app.session.ceiling_n == pytest.approx(0.5 * 80 * G_N_PER_KG)
        source.set_paused(False)
        await wait_for(pilot, lambda: app.session.status is not None, "force from the new calibration")
    profile = json.loads((tmp_path / "config" / "profiles" / "bench-hx711.json").read_text())
    assert profile["calibration"]["channels"][0]["n_per_count"] == pytest.approx(N_PER_COUNT, rel=0.002)
    user = json.loads((tmp_path / "config" / "user.json").read_text())
    assert user == {"body_mass_kg": 80.0, "ceiling_n": None, "ceiling_pct_bw": 50.0}
    # The recording notes where the new calibration took over.
    assert [m.kind for m in load_recording(out).markers] == ["calibration"]


async def test_cancel_after_the_zero_leaves_the_old_profile_untouched(bench, tmp_path):
    old = tmp_path / "config" / "profiles" / "bench-hx711.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"version": 1, "device_id": "bench-hx711", "calibration": {
        "version": 1, "device_id": "bench-hx711",
        "channels": [{"name": "load", "model": "linear", "offset_counts": 81000.0, "n_per_count": 0.0024}]}}))
    before = old.read_bytes()
    async with replayed_bench(bench, "4") as (pilot, app, source):
        w = await wizard_with_zero(pilot, app, source)
        assert w.results[0].startswith("zero over")  # a new zero was taken, then thrown away
        await paused_press(pilot, source, "escape")
        assert not isinstance(app.screen, CalibrationWizard)
        assert app.sample_taps == []
    assert old.read_bytes() == before
    assert not (tmp_path / "config" / "user.json").exists()
    assert app.session.info.calibration is None  # the session kept what it had


async def test_a_weight_that_does_not_move_the_reading_is_refused_and_asked_again(bench):
    async with replayed_bench(bench, "4") as (pilot, app, source):
        w = await wizard_with_zero(pilot, app, source)
        await paused_press(pilot, source, "enter", seek_s=1.0)  # "5 kg" while nothing is on it
        await wait_for(pilot, lambda: "barely moved" in w.message, "the refusal")
        assert w.proc.current.load_kg == 5.0 and w.step_state == "ready"
        assert w.message.endswith("(Escape, then calibrate again with heavier weights)")


async def test_a_zero_moved_since_the_last_calibration_is_taken_when_the_person_says_it_is_empty(tmp_path, monkeypatch):
    # The roller's calibration puts its zero 31 N low (a remounted load cell): the wizard waited
    # for ever on "the roller carries about 31 N", and only deleting the profile got out of it.
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path / "config"))
    rng = np.random.default_rng(6)
    t = np.arange(0, 20, 1 / RATE)
    raw = np.round(OFFSET + rng.normal(0, 3.0, t.size))
    drifted = {"device_id": "bench-hx711", "channels": [
        {"name": "load", "model": "linear", "offset_counts": OFFSET - 31 / N_PER_COUNT, "n_per_count": N_PER_COUNT}]}
    info = StreamInfo("bench", "bench-hx711", "Load cell on the bench", (Channel("load", unit="count"),), RATE,
                      calibration=drifted)
    path = tmp_path / "empty.smr"
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(t, raw))
    async with replayed_bench(path, "1") as (pilot, app, source):
        await paused_press(pilot, source, "c", "enter", "enter", seek_s=1.0)
        w = wizard(app)
        await wait_for(pilot, lambda: "carries about 31 N" in w.message, "the refusal")
        assert w.message.endswith("If nothing is on it, its zero has moved since it was calibrated: press e to zero it as it is.")
        assert w.check_action("assume_empty", ()) and not w.results
        await pilot.press("e")
        await wait_for(pilot, lambda: len(w.results) == 1, "the zero")
        assert re.match(r"zero over 2\.0 s: load 8123[3-5] counts", w.results[0])
        assert not w.check_action("assume_empty", ())  # the key is offered only while it applies
        source.set_paused(True)


async def test_on_a_paused_replay_a_step_waiting_for_samples_says_the_replay_is_paused(bench):
    # Enter at a weight step while paused: "Waiting for a steady reading…" at 0 %, for ever.
    async with replayed_bench(bench, "1") as (pilot, app, source):
        w = await wizard_with_zero(pilot, app, source)
        source.set_paused(True)
        await pilot.press("enter")
        shown = lambda: str(w.query_one("#wizard-message").render())  # noqa: E731
        await wait_for(pilot, lambda: "The replay is paused: space plays it." in shown(), "the hint")
        assert shown().startswith("Waiting for a steady reading")
        await pilot.press("space")
        await wait_for(pilot, lambda: "paused" not in shown(), "the hint gone once it plays")
        source.set_paused(True)


async def test_on_a_replay_a_refused_step_says_to_seek_not_to_unload_the_roller(bench):
    # It said "keep the roller still and unloaded" to someone watching a recording.
    async with replayed_bench(bench, "1") as (pilot, app, source):
        await paused_press(pilot, source, "c", "enter", "enter", seek_s=5.5)  # the zero as the 5 kg goes on
        w = wizard(app)
        await wait_for(pilot, lambda: "not steady" in w.message, "the refusal")
        assert "during the zero here in the recording; seek (←→) to another stretch" in w.message
        assert "unloaded" not in w.message and not w.results
        source.set_paused(True)


def test_parsing_what_the_user_types():
    assert parse_ceiling("400") == (400.0, None) and parse_ceiling("400 N") == (400.0, None)
    assert parse_ceiling("50%") == (None, 50.0) and parse_ceiling("") == (None, None)
    for bad in ("abc", "-3", "0%"):
        with pytest.raises(Exception):
            parse_ceiling(bad)
    # As --ceiling-pct: more than the whole body weight would never sound.
    assert parse_ceiling("100%") == (None, 100.0)
    with pytest.raises(CalibrationFitError, match=r"^a ceiling of 120 % is above 100 % of body weight$"):
        parse_ceiling("120%")
    # As --ceiling: more than the heaviest person weighs would never sound (the chart's scale went flat).
    assert parse_ceiling("2942 N") == (2942.0, None)
    assert parse_ceiling("700 N", body_mass_kg=80.0) == (700.0, None)
    with pytest.raises(CalibrationFitError, match=r"above 100 % of body weight \(785 N for 80 kg\)"):
        parse_ceiling("800 N", body_mass_kg=80.0)  # as 102 % would be
    with pytest.raises(CalibrationFitError, match=r"^a ceiling of 1e\+09 N is above 2942 N, the weight of a 300 kg person$"):
        parse_ceiling("1e9")
    # Nor one below contact: it would sound at every touch of the roller.
    with pytest.raises(CalibrationFitError, match=r"^a ceiling of 10 N is below 25 N, the force that counts as someone"):
        parse_ceiling("10 N")
    with pytest.raises(CalibrationFitError, match=r"^a ceiling of 2 % is below 25 N, .* \(for 80 kg\)$"):
        parse_ceiling("2%", body_mass_kg=80.0)


@pytest.mark.parametrize("saved, expected", [
    ({"body_mass_kg": 72, "ceiling_pct_bw": 40}, UserSettings(72.0, None, 40.0)),
    ({"body_mass_kg": 5000, "ceiling_pct_bw": 120, "ceiling_n": 600}, UserSettings(None, 600.0, None)),
    ({"body_mass_kg": True, "ceiling_n": "400"}, UserSettings()),
    ({"body_mass_kg": 80, "ceiling_n": 1e9}, UserSettings(80.0, None, None)),
])
def test_saved_settings_out_of_the_options_range_are_as_if_not_given(tmp_path, monkeypatch, saved, expected):
    # A hand-edited user.json (or one saved by an older wizard) must not bring in what the options refuse.
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path))
    (tmp_path / "user.json").write_text(json.dumps(saved))
    loaded = load_user_settings()
    assert dataclasses.replace(loaded, problem=None) == expected
    # ... and what was left out is said: a ceiling dropped in silence is a safety limit gone.
    assert (loaded.problem is None) == (saved == {"body_mass_kg": 72, "ceiling_pct_bw": 40})
    if loaded.problem:
        assert loaded.problem.startswith(f"{tmp_path / 'user.json'} has ")
        assert loaded.problem.endswith(", out of range or not a number: left out until the calibration wizard (c) "
                                       "saves them again")


@pytest.mark.parametrize("text, why", [("xx", "it is not JSON"), ("[1, 2]", None), ('{"body_mass_kg": "abc"}', None)])
def test_a_damaged_user_file_is_said_before_the_dashboard_opens(tmp_path, monkeypatch, capsys, text, why):
    from smr_sense.cli import main

    monkeypatch.setenv(CONFIG_ENV, str(tmp_path))
    (tmp_path / "user.json").write_text(text)
    assert main(["live", "--source", "sim", "--no-record", "--ceiling-pct", "40"]) == 2  # no terminal here
    warning, error = capsys.readouterr().err.splitlines()
    assert warning.startswith(f"smr-sense: warning: {tmp_path / 'user.json'} ")
    if why:
        assert f"cannot be read ({why}), so the body weight and ceiling saved there are not used" in warning
    assert error.startswith("smr-sense: error: ")


async def test_an_old_session_replays_under_a_calibration_given_afterwards(bench):
    cal = {"version": 1, "device_id": "bench-hx711",
           "channels": [{"name": "load", "model": "linear", "offset_counts": OFFSET, "n_per_count": N_PER_COUNT}]}
    app = app_for(make_source(f"replay:{bench}?speed=max"), calibration=cal)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.session.outcome is not None, "the end")
        assert app.session.problem is None and app.query_one(Banner).text == ""
        # The last samples carry 10 kg: the pipeline saw about 98 N.
        assert app.session.status.force_n == pytest.approx(10 * G_N_PER_KG, abs=1.0)


@asynccontextmanager
async def weights_box(bench, *keys):
    """The wizard opened on the replayed bench, at its first question (the weights), ``keys`` typed."""
    source = make_source(f"replay:{bench}?speed=1")
    app = app_for(source)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.session.info is not None, "the stream")
        await paused_press(pilot, source, "c", *keys, seek_s=0.0)
        yield pilot, wizard(app)


async def test_a_suggested_value_is_edited_from_its_end(bench):
    """The weights box opens with "5, 10": Backspace removes the last character, typing appends."""
    async with weights_box(bench, "backspace", "2") as (_pilot, w):
        assert w.query_one("#wizard-input").value == "5, 12"


async def test_a_refused_answer_stays_in_the_box_to_be_mended(bench):
    async with weights_box(bench, "backspace", "backspace", "backspace", "backspace", "x", "enter") as (pilot, w):
        box = w.query_one("#wizard-input")
        assert w.phase == "weights" and w.message and box.value == "5x"  # not reset to "5, 10"
        await pilot.press("escape")


async def test_the_same_weight_twice_is_refused_before_any_is_placed(bench):
    # As `calibrate --weights 5,5`: the fit would refuse the second 5 kg only after both were measured.
    async with weights_box(bench, "backspace", "backspace", "5", "enter") as (pilot, w):
        assert w.phase == "weights" and w.query_one("#wizard-input").value == "5, 5"
        assert w.message == "5 kg is listed twice; give each known weight once, for example 5,10"
        await pilot.press("escape")


async def test_keys_that_arrive_together_apply_in_the_order_typed(bench):
    # A paste, or tmux send-keys C-u '3, 7' Enter: the keys come in one read. Textual runs a box's
    # bindings (Enter, Backspace, Ctrl-U) only once the key reaches the app, after the box has taken
    # the characters behind it: Ctrl-U then cleared the "3, 7" and Enter submitted an empty box.
    from textual import events

    async with replayed_bench(bench, "4") as (pilot, app, source):
        await paused_press(pilot, source, "c")
        w = wizard(app)
        keys = [("ctrl+u", "\x15"), ("3", "3"), ("comma", ","), ("space", " "), ("8", "8"), ("backspace", "\x7f"),
                ("7", "7"), ("enter", "\r")]  # fmt: skip
        for key, char in keys:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        await wait_for(pilot, lambda: w.phase == "step", "the weights taken")
        assert [(s.kind, s.load_kg) for s in w.proc.steps] == [("tare", None), ("weight", 3.0), ("weight", 7.0)]
        assert w.message == ""
        await pilot.press("escape")


def title_of(w: CalibrationWizard) -> str:
    return str(w.query_one("#wizard-title").render())


async def test_the_step_counter_counts_every_step_out_of_all_of_them(bench):
    # It said "Calibration 2/5 · Zero", then "2/5 · Weight 1 of 2", then "2/5 · Weight 2 of 2".
    source = make_source(f"replay:{bench}?speed=4")
    app = app_for(source)
    titles = []
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream")
        await paused_press(pilot, source, "c")
        w = wizard(app)
        titles.append(title_of(w))
        await paused_press(pilot, source, "end", "comma", "2", "0")  # three weights: one more step
        titles.append(title_of(w))
        await paused_press(pilot, source, "backspace", "backspace", "backspace")  # back to 5, 10
        await paused_press(pilot, source, "enter", seek_s=0.0)
        titles.append(title_of(w))
        await paused_press(pilot, source, "enter")
        await wait_for(pilot, lambda: len(w.results) == 1, "the zero")
        titles.append(title_of(w))
        await paused_press(pilot, source, "enter", seek_s=8.5)
        await wait_for(pilot, lambda: len(w.results) == 2, "the 5 kg point")
        titles.append(title_of(w))
        await paused_press(pilot, source, "enter", seek_s=18.5)
        await wait_for(pilot, lambda: w.phase == "fit", "the fit")
        titles.append(title_of(w))
        for _ in range(3):  # the fit, no body weight, no ceiling
            await paused_press(pilot, source, "enter")
            titles.append(title_of(w))
        assert w.phase == "review"
        await pilot.press("escape")
    assert titles == [
        "Calibration 1/7 · Known weights",
        "Calibration 1/8 · Known weights",
        "Calibration 2/7 · Zero",
        "Calibration 3/7 · Weight 1 of 2",
        "Calibration 4/7 · Weight 2 of 2",
        "Calibration 5/7 · Fit",
        "Calibration 6/7 · Body weight",
        "Calibration 7/7 · Pressure ceiling",
        "Calibration · Save",
    ]


def _emulated_counts(tmp_path):
    """What an emulated roller started with --units count sends: its simulated person rolling."""
    t = np.arange(0, 30, 1 / RATE)
    raw = OFFSET + 40000 * (1 + np.sin(2 * np.pi * 0.4 * t))
    info = StreamInfo("emu-force-4", "emu-force-4", "Virtual roller (force)", (Channel("load", unit="count"),), RATE)
    with RecordingWriter(tmp_path / "emu.smr", info) as w:
        w.append(SampleBlock.build(t, np.round(raw)))
    return load_recording(tmp_path / "emu.smr")


@pytest.mark.parametrize("make, said", [
    (lambda _tmp: recording("edge_hold_25s.csv"),
     "This roller already reports force in N or kg and keeps its own zero: there is no span to fit "
     "(smr-sense calibrate --zero asks it to re-zero)."),
    # Its person keeps rolling: the zero was refused as unsteady for ever (the CLI refuses it outright).
    (_emulated_counts,
     "An emulated roller cannot take known weights (nobody can put one on it): run the emulator with --units N "
     "to measure holds."),
])  # fmt: skip
async def test_a_roller_that_needs_or_takes_no_weights_counts_only_its_two_questions(tmp_path, monkeypatch, make, said):
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path / "config"))
    source = replay(make(tmp_path), speed=1.0)
    app = app_for(source)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream")
        await paused_press(pilot, source, "c")
        w = wizard(app)
        assert title_of(w) == "Calibration 1/2 · Body weight" and w.results == [said]
        await paused_press(pilot, source, "enter")
        assert title_of(w) == "Calibration 2/2 · Pressure ceiling"
        await pilot.press("escape")


async def test_on_a_replay_a_step_asks_to_find_it_in_the_recording_with_the_replay_keys(bench):
    # It said "Put 5 kg on the roller" to someone watching a recording, and the replay's pause and
    # seek keys were shut off while the wizard was open: the stretch to measure could not be found.
    async with replayed_bench(bench, "1") as (pilot, app, source):
        await paused_press(pilot, source, "c", "enter", seek_s=0.0)
        w = wizard(app)
        prompt = str(w.query_one("#wizard-prompt").render())
        assert prompt.startswith("Replay: find where the recording has nothing on the roller")
        assert "Take everything off" not in prompt
        await pilot.press("space")
        assert source.paused
        before_s = source.position_s
        await pilot.press("right")
        await wait_for(pilot, lambda: source.position_s >= before_s + 4.9, "the seek")
        # Where the seek landed shows while still paused (no sample has come from there yet).
        landed = f"paused at 0:{int(source.position_s):02d} into the recording"
        await wait_for(pilot, lambda: landed in str(w.query_one("#wizard-live").render()), "the paused position")
        await pilot.press("space")
        assert not source.paused
        await wait_for(pilot, lambda: "into the recording)" in str(w.query_one("#wizard-live").render()), "the time")
        # "load: 81234 count": the reading's unit as the results and the command line say it.
        assert re.search(r"load: \d+ counts \(noise", str(w.query_one("#wizard-live").render()))
        # Enter measures there: the zero, then the first weight is asked for the same way.
        await paused_press(pilot, source, "enter", seek_s=0.0)
        await wait_for(pilot, lambda: len(w.results) == 1, "the zero")
        assert str(w.query_one("#wizard-prompt").render()).startswith("Replay: find where the recording has 5 kg on the roller")
        source.set_paused(True)
        await pilot.press("escape")
        assert not isinstance(app.screen, CalibrationWizard)

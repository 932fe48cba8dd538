"""A damaged saved calibration profile never costs a session: said in one sentence, with what to
do, and the session goes on as if there were no profile; analyze says it when it needed that profile."""

from dataclasses import replace

import pytest

from smr_sense.cli import main
from smr_sense.cli.analyze import analyze_file
from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.sim import SimConfig, simulate
from smr_sense.errors import SmrError
from smr_sense.profiles import CONFIG_ENV, profile_path
from smr_sense.recording import RecordingWriter, load_any
from smr_sense.tui.session import DashboardSession


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """No real profile is read or written."""
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "cfg"))


def counts_stream(device_id):
    """A load cell sending raw counts, with no calibration of its own (a bare HX711 build)."""
    info, block, _ = simulate(SimConfig(seed=3, build="force"), 20.0)
    return replace(info.with_calibration(None), device_id=device_id), block


def record_counts(path, device_id):
    info, block = counts_stream(device_id)
    with RecordingWriter(path, info) as writer:
        writer.append(block)
    return path


def dashboard_session(out, info, block):
    live = DashboardSession(SessionSettings(), record_path=out, apply_profile=True)  # as live and demo open
    live.start(info)
    for a in range(0, len(block), 50):
        live.feed(block.slice(a, min(a + 50, len(block))))
    return live


def damage_profile(device_id):
    path = profile_path(device_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{broken\n")
    return path


def test_record_goes_on_without_a_damaged_profile_and_says_what_to_do(tmp_path, capsys):
    path = damage_profile("sim-imu-9")
    out = tmp_path / "p.smr"
    assert main(["record", "--source", "sim:?seed=9&speed=max&duration=3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err == (
        f"smr-sense: warning: {path} is not a calibration profile: not valid JSON (line 1); going on without that "
        "saved calibration: recalibrate the roller (smr-sense calibrate), which replaces that file, or delete it\n"
    )
    rec = load_any(out)
    assert len(rec.block) == 300 and rec.info.calibration  # the simulated roller's own calibration
    assert path.read_text() == "{broken\n"  # left for the user: recalibrating replaces it


def test_the_dashboard_goes_on_without_a_damaged_profile_until_the_wizard_replaces_it(tmp_path):
    info, block = counts_stream("AA:BB:CC:DD:EE:FF")
    path = damage_profile(info.device_id)
    live = dashboard_session(tmp_path / "d.smr", info, block)
    assert live.samples == len(block)  # recorded, uncalibrated, as a roller never calibrated is
    assert live.problem.startswith(f"{path} is not a calibration profile: not valid JSON (line 1); going on without")
    assert "press c to calibrate" in live.problem
    calibration = simulate(SimConfig(seed=3, build="force"), 1.0)[0].calibration
    live.reconfigure(SessionSettings(), calibration=calibration)  # the wizard saved a new profile
    assert live.problem is None
    # Replaced, it is no warning on the summary screen either.
    assert not any(str(path) in w for w in live.finish().warnings)


def test_the_summary_screen_lists_a_damaged_profile_still_in_force_at_the_end(tmp_path):
    info, block = counts_stream("AA:BB:CC:DD:EE:FF")
    path = damage_profile(info.device_id)
    outcome = dashboard_session(tmp_path / "d.smr", info, block).finish()
    assert outcome.warnings[0].startswith(f"{path} is not a calibration profile")


def test_analyze_of_raw_counts_with_a_damaged_profile_is_one_sentence_saying_what_to_do(tmp_path):
    rec = record_counts(tmp_path / "c.smr", "AA:BB:CC:DD:EE:FF")
    path = damage_profile("AA:BB:CC:DD:EE:FF")
    with pytest.raises(SmrError) as err:
        analyze_file(str(rec), SessionSettings())
    assert str(err.value) == (
        f"{rec} holds raw counts without a calibration, and the device's saved profile is damaged ({path} is not a "
        "calibration profile: not valid JSON (line 1)): calibrate the device again (smr-sense calibrate), which "
        "replaces that profile, or pass --calibration FILE"
    )


def test_a_damaged_profile_asked_for_by_name_is_refused(tmp_path, capsys):
    # --calibration profile is the user's own request: going on under another calibration than the
    # one asked for would measure the session unlike they meant, so it stays one sentence and exit 2.
    rec = record_counts(tmp_path / "c.smr", "AA:BB:CC:DD:EE:FF")
    path = damage_profile("AA:BB:CC:DD:EE:FF")
    assert main(["analyze", str(rec), "--calibration", "profile"]) == 2
    assert capsys.readouterr().err == f"smr-sense: error: {path} is not a calibration profile: not valid JSON (line 1)\n"


def test_an_emulated_rollers_damaged_profile_is_only_to_be_deleted(tmp_path):
    # calibrate refuses an emulated roller: "recalibrate" would send the user to a refusal.
    info, block = counts_stream("emu-force-3")
    path = damage_profile(info.device_id)
    live = dashboard_session(tmp_path / "e.smr", info, block)
    assert live.profile_problem.endswith("going on without that saved calibration: delete that file")
    assert str(path) in live.profile_problem

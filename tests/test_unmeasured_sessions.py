"""Sessions that could not be measured, said as such: a roller sending raw counts with no
calibration, in its summary and in analyze's advice."""

import json
from dataclasses import replace

import pytest

from smr_sense.cli import main
from smr_sense.cli.analyze import analyze_file
from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.sim import SimConfig, simulate
from smr_sense.emulator.roller import NO_WEIGHTS_ADVICE
from smr_sense.errors import SmrError
from smr_sense.profiles import CONFIG_ENV
from smr_sense.recording import RecordingWriter
from smr_sense.report import summary_paths
from smr_sense.tui.session import DashboardSession

SIM_S = 40.0  # long enough for the simulated person to roll and hold


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """No real profile is read or written."""
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "cfg"))


def counts_stream(device_id):
    """A load cell sending raw counts, with no calibration of its own (a bare HX711 build)."""
    info, block, _ = simulate(SimConfig(seed=3, build="force"), SIM_S)
    return replace(info.with_calibration(None), device_id=device_id), block


def dashboard_session(out, info, block):
    live = DashboardSession(SessionSettings(), record_path=out, started_at="2026-05-09 10:00")
    live.start(info)
    for a in range(0, len(block), 50):
        live.feed(block.slice(a, min(a + 50, len(block))))
    return live


# -- A: the summary of a session that was never measured -------------------------------------------


def test_an_uncalibrated_emulated_session_is_reported_as_not_measured_never_as_nothing_done(tmp_path):
    out = tmp_path / "c.smr"
    info, block = counts_stream("emu-force-3")
    outcome = dashboard_session(out, info, block).finish()
    json_path, md_path = summary_paths(out)
    assert set(outcome.saved) == {out, json_path, md_path}
    md = md_path.read_text()
    # Its zeros are no finding: nothing claims the session had no holds or left groups unworked.
    for claim in ("0 holds in all", "No hold went past", "Not worked", "| Calves |"):
        assert claim not in md
    obj = json.loads(json_path.read_text())
    assert obj["measured"] is False
    assert "raw counts and had no calibration" in obj["not_measured"]
    # How to measure them: an emulated roller takes no weights, so a calibration file, or --units N.
    assert f"smr-sense analyze {out} --calibration FILE measures them" in obj["not_measured"]
    assert NO_WEIGHTS_ADVICE in obj["not_measured"] and "smr-sense calibrate" not in obj["not_measured"]
    assert f"- Not measured: {obj['not_measured']}." in md
    assert outcome.summary.measured is False


def test_an_uncalibrated_real_roller_is_sent_to_calibrate_then_analyze(tmp_path):
    out = tmp_path / "c.smr"
    info, block = counts_stream("AA:BB:CC:DD:EE:FF")
    dashboard_session(out, info, block).finish()
    obj = json.loads(summary_paths(out)[0].read_text())
    assert obj["measured"] is False
    assert f"calibrate the roller (smr-sense calibrate), then smr-sense analyze {out} measures them" in obj["not_measured"]


def test_a_measured_session_says_so_and_keeps_its_notes(tmp_path):
    out = tmp_path / "m.smr"
    info, block, _ = simulate(SimConfig(seed=3, build="force"), SIM_S)
    dashboard_session(out, info, block).finish()
    json_path, md_path = summary_paths(out)
    obj = json.loads(json_path.read_text())
    assert obj["measured"] is True and obj["not_measured"] is None
    assert "Not measured" not in md_path.read_text() and "| Calves |" in md_path.read_text()


# -- B: analyze's advice for a recording of raw counts ----------------------------------------------


def record_counts(path, device_id):
    info, block = counts_stream(device_id)
    with RecordingWriter(path, info) as writer:
        writer.append(block)
    return path


def test_analyze_sends_an_emulated_roller_to_units_n_or_a_calibration_file_never_to_calibrate(tmp_path, capsys):
    rec = record_counts(tmp_path / "c.smr", "emu-force-3")
    assert main(["analyze", str(rec)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"smr-sense: error: {rec} holds raw counts without a calibration; {NO_WEIGHTS_ADVICE} in a new recording, "
        "or pass --calibration FILE to measure this one\n"
    )


def test_analyze_sends_a_real_roller_to_calibrate(tmp_path):
    rec = record_counts(tmp_path / "c.smr", "AA:BB:CC:DD:EE:FF")
    with pytest.raises(SmrError, match=r"calibrate the device \(smr-sense calibrate\) or pass --calibration FILE$"):
        analyze_file(str(rec), SessionSettings())

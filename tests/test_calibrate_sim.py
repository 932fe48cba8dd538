"""Calibrating the simulated roller end to end, as a user would: the real command over stdin,
then the saved profile in effect for the next recording."""

import json
import subprocess
import sys

import numpy as np
import pytest

from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.recording import load_any


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def run(args, stdin="", cwd=None):
    return subprocess.run([sys.executable, "-m", "smr_sense", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def test_calibrate_sim_recovers_the_true_gains_and_record_uses_them(tmp_path, config_dir):
    done = run(["calibrate", "--source", "sim:?seed=4&build=channels&speed=10", "--weights", "5,10"], stdin="\n" * 12)
    assert done.returncode == 0, done.stderr
    assert "saved the profile for sim-channels-4" in done.stdout
    saved = json.loads((config_dir / "profiles" / "sim-channels-4.json").read_text())
    cal = saved["calibration"]["channels"]
    truth = SimRoller(SimConfig(seed=4, build="channels")).info.calibration["channels"]
    for fitted, true in zip(cal, truth):
        assert fitted["n_per_count"] == pytest.approx(true["n_per_count"], rel=0.01)
        # zero within a newton: the drift since power-on is small at the start of a session
        assert abs(fitted["offset_counts"] - true["offset_counts"]) * true["n_per_count"] < 1.0

    out = tmp_path / "after.smr"
    done = run(["record", "--source", "sim:?seed=4&build=channels&speed=max", "--duration", "5", "--out", str(out)])
    assert done.returncode == 0, done.stderr
    assert load_any(out).info.calibration["channels"] == cal


async def test_calibrate_source_sim_calibrates_the_roller_the_demo_shows(config_dir):
    # `calibrate --source sim` (the README's simulated bench) calibrated sim-imu-1 while `demo` shows
    # sim-imu-7: the profile it saved never applied to the demo.
    from smr_sense.cli import build_parser
    from smr_sense.cli.demo import demo_source
    from smr_sense.sources import make_source

    done = run(["calibrate", "--source", "sim:?speed=10", "--weights", "5"], stdin="\n" * 3)
    assert done.returncode == 0, done.stderr
    async with make_source(demo_source(build_parser().parse_args(["demo"]))) as demo:
        shown = demo.info.device_id
    assert [p.stem for p in (config_dir / "profiles").glob("*.json")] == [shown]


def test_quitting_calibration_keeps_the_old_profile(config_dir):
    done = run(["calibrate", "--source", "sim:?seed=4&build=force", "--weights", "5"], stdin="q\n")
    assert done.returncode != 0 or "quit" in done.stdout.lower()
    assert not (config_dir / "profiles" / "sim-force-4.json").exists()


async def test_the_simulated_person_comes_back_after_calibration():
    from smr_sense.core.calibration import forces_n
    from smr_sense.core.samples import Marker, SampleBlock
    from smr_sense.sources import make_source

    source = make_source("sim:?seed=4&build=force&speed=100&duration=200")
    blocks, placed, resumed = [], False, False
    async with source:
        async for item in source:
            if isinstance(item, Marker):
                continue
            blocks.append(item)
            if not placed and item.t_s[-1] >= 5.0:
                await source.command("place_weight", kg=10.0)
                placed = True
            if not resumed and item.t_s[-1] >= 15.0:
                await source.command("resume")
                resumed = True
        info = source.info
    block = SampleBlock.concat(blocks)
    force = forces_n(info, block.raw)[:, 0]
    # A read of samples already under way when a command arrives finishes as it began: 2 s margins.
    on_bench = (block.t_s > 8.0) & (block.t_s < 14.0)
    assert abs(np.median(force[on_bench]) - 98.07) < 3.0  # 10 kg on the roller, and nothing else
    assert force[block.t_s > 20.0].max() > 150.0  # the person is rolling on it again

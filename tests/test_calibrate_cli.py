"""``smr-sense calibrate`` driven over stdin, and device profiles in the config directory.

A roller on a bench with weights cannot exist here: :class:`BenchRoller` stands in for one (a load
cell with an offset, a gain and noise, whose load changes when weights are placed), behind the real
Source interface. Everything else (the command, the core procedure, the profile store) is real.
"""

import asyncio
import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import smr_sense.cli.calibrate as calibrate_cli
from smr_sense.cli import main
from smr_sense.core.calibration import G_N_PER_KG, forces_n
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.profiles import CONFIG_ENV, Profile, load_profile, profile_path, save_profile, with_profile
from smr_sense.sources import Source, SourceError
from link_helpers import running_emulator

RATE = 80.0
OFFSET, COUNTS_PER_N = 52_000.0, 410.0


class BenchRoller(Source):
    """A one-cell roller on a bench; ``place_weight``/``remove_weights`` change its load."""

    def __init__(self, accepts_weights: bool = True) -> None:
        super().__init__("bench")
        self.load_n = 0.0
        self.accepts_weights = accepts_weights
        self.rng = np.random.default_rng(1)
        self.t = 0.0

    async def _open(self) -> StreamInfo:
        return StreamInfo("bench", "bench:AA:BB", "Bench roller", (Channel("load", "count"),), RATE)

    async def command(self, name, **args):
        if not self.accepts_weights:
            raise SourceError("the bench roller takes no commands")
        if name == "place_weight":
            self.load_n = float(args["kg"]) * G_N_PER_KG
        elif name == "remove_weights":
            self.load_n = 0.0

    async def _items(self):
        while True:
            t = self.t + np.arange(8) / RATE
            self.t = float(t[-1]) + 1 / RATE
            raw = np.round(OFFSET + COUNTS_PER_N * self.load_n + self.rng.normal(0, 25, 8))
            yield SampleBlock.build(t, raw)
            await asyncio.sleep(0)


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def run_cli(monkeypatch, capsys, stdin: str, source: Source, *args: str):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr("smr_sense.sources.make_source", lambda spec: source)
    code = main(["calibrate", "--source", "bench", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_calibrate_over_stdin_saves_a_profile_that_streams_then_use(monkeypatch, capsys, config):
    code, out, err = run_cli(monkeypatch, capsys, "\n\n\n", BenchRoller(), "--weights", "5,10", "--tare-s", "1")
    assert code == 0, err
    assert "Take everything off the roller and keep it still, then press Enter" in out
    assert "Put 5 kg on the roller, then press Enter" in out and "Put 10 kg on the roller" in out
    assert re.search(r"^  load: linear, zero \d+ counts, [\d.e-]+ N per count, noise [\d.]+ N$", out, re.M)
    path = profile_path("bench:AA:BB")
    assert path.parent == config / "profiles" and str(path) in out
    profile = load_profile("bench:AA:BB")
    assert profile is not None and len(profile.residuals_n) == 2
    ch = profile.calibration["channels"][0]
    assert ch["offset_counts"] == pytest.approx(OFFSET, abs=10)
    assert ch["n_per_count"] == pytest.approx(1 / COUNTS_PER_N, rel=0.005)
    # The profile is loaded automatically for the device: 30 kg now reads as 30 kg.
    info = with_profile(asyncio.run(BenchRoller()._open()))
    raw = np.full((10, 1), OFFSET + COUNTS_PER_N * 30 * G_N_PER_KG, np.float32)
    assert np.median(forces_n(info, raw)) == pytest.approx(30 * G_N_PER_KG, rel=0.005)


def test_quitting_or_running_out_of_input_saves_nothing(monkeypatch, capsys, config):
    code, _, err = run_cli(monkeypatch, capsys, "\nq\n", BenchRoller())
    assert code == 1 and "calibration cancelled; nothing was saved" in err
    code, _, err = run_cli(monkeypatch, capsys, "\n", BenchRoller())
    assert code == 1 and "the input ended" in err
    assert load_profile("bench:AA:BB") is None
    assert "Traceback" not in err


def test_a_weight_not_placed_is_refused_in_one_sentence_and_asked_again(monkeypatch, capsys, config):
    # The bench cannot place weights and nobody does: the 5 kg step sees an empty roller.
    code, out, err = run_cli(monkeypatch, capsys, "\n\n\nq\n", BenchRoller(accepts_weights=False), "--weights", "5")
    assert code == 1
    assert out.count("5 kg barely moved channel 'load'") == 2
    assert out.count("Put 5 kg on the roller") == 3
    # A lighter weight cannot be fixed at the roller: the list is the command's, so it says how.
    assert out.count("  q quits; then calibrate again with heavier --weights") == 2


def test_bad_weights_option_is_one_sentence(monkeypatch, capsys, config):
    with pytest.raises(SystemExit) as exc:
        run_cli(monkeypatch, capsys, "", BenchRoller(), "--weights", "5,-1")
    assert exc.value.code == 2
    assert "weights must be above 0 and at most 300 kg" in capsys.readouterr().err


def test_profiles_are_per_device_and_survive_odd_device_ids(config):
    cal = {"version": 1, "device_id": "AA:BB", "channels": [{"name": "load", "model": "linear", "offset_counts": 1.0, "n_per_count": 0.5}]}
    p = save_profile(Profile("AA:BB:CC/dev/ttyACM0", "roller", cal))
    assert p.parent == config / "profiles" and "/" not in p.name
    assert json.loads(p.read_text())["saved_at"].endswith("Z")
    assert load_profile("AA:BB:CC/dev/ttyACM0").calibration == cal
    assert load_profile("someone-else") is None


def test_calibrate_core_keeps_ui_out():
    # The dashboard's wizard reuses the core: no printing, prompting or terminal in it.
    import ast

    import smr_sense.core.calibrate as core

    tree = ast.parse(open(core.__file__).read())
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    imports = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert not calls & {"print", "input", "open"}
    assert "sys" not in imports
    assert calibrate_cli.CalibrationCancelled.exit_code == 1


def _known_profile():
    cal = {"channels": [{"name": "load", "model": "linear", "offset_counts": OFFSET, "n_per_count": 1 / COUNTS_PER_N}]}
    save_profile(Profile("bench:AA:BB", "Bench roller", cal, "2026-11-01T10:00:00+00:00", (), ()))


def test_a_zero_with_weight_on_a_known_roller_is_refused(monkeypatch, capsys, config):
    # A raw-count roller can tell its load only through its saved calibration: without it, a
    # zero taken with 50 kg on the roller was accepted and every later force read 490 N light.
    _known_profile()
    roller = BenchRoller(accepts_weights=False)
    roller.load_n = 50 * G_N_PER_KG
    code, out, err = run_cli(monkeypatch, capsys, "\nq\n", roller, "--weights", "5", "--tare-s", "1")
    assert code == 1 and "nothing was saved" in err
    assert "the roller carries about 490 N; take everything off it and retry the zero" in out
    assert load_profile("bench:AA:BB").calibration["channels"][0]["offset_counts"] == OFFSET  # untouched


def test_a_damaged_profile_is_what_calibrating_replaces(monkeypatch, capsys, config):
    path = profile_path("bench:AA:BB")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"channels": ["load"]}')
    code, out, err = run_cli(monkeypatch, capsys, "\n\n", BenchRoller(), "--weights", "5", "--tare-s", "1")
    assert code == 0, err
    assert f"each channel calibration must be a JSON object with a name; calibrating replaces {path}" in err
    assert load_profile("bench:AA:BB").calibration["channels"][0]["n_per_count"] == pytest.approx(1 / COUNTS_PER_N, rel=0.01)


def test_a_profile_that_could_not_be_saved_is_refused_before_any_step(monkeypatch, capsys, tmp_path):
    # The whole procedure ran, weights and all, and only then: "could not save the calibration profile".
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "a-file" / "cfg"))
    code, out, err = run_cli(monkeypatch, capsys, "\n\n\n", BenchRoller(), "--weights", "5,10", "--tare-s", "1")
    assert code == 2 and "Take everything off" not in out
    assert f"could not save the calibration profile to {tmp_path / 'a-file' / 'cfg' / 'profiles'}" in err
    code, out, err = run_cli(monkeypatch, capsys, "\n\n", BenchRoller(), "--weights", "5", "--tare-s", "1", "--no-save")
    assert code == 0, err  # nothing to save: nothing refused


class FactoryCalibratedBench(BenchRoller):
    """A bench roller whose own header carries a calibration (as the simulated roller's does)."""

    async def _open(self) -> StreamInfo:
        cal = {"channels": [{"name": "load", "model": "linear", "offset_counts": OFFSET + 400, "n_per_count": 1 / COUNTS_PER_N}]}
        return StreamInfo("bench", "bench:AA:BB", "Bench roller", (Channel("load", "count"),), RATE, calibration=cal)


def test_a_new_zero_replaces_a_damaged_profile_as_the_warning_says(monkeypatch, capsys, config):
    # It warned "calibrating replaces <profile>", zeroed, said how far the zero moved, then failed
    # on reading that same damaged profile: "... is not a calibration profile".
    path = profile_path("bench:AA:BB")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"channels": ["load"]}')
    code, out, err = run_cli(monkeypatch, capsys, "\n", FactoryCalibratedBench(), "--zero", "--tare-s", "1")
    assert code == 0, err
    assert f"calibrating replaces {path}" in err and f"saved the new zero for bench:AA:BB to {path}" in out
    assert load_profile("bench:AA:BB").calibration["channels"][0]["offset_counts"] == pytest.approx(OFFSET, abs=10)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
@pytest.mark.parametrize("units, instead", [
    ("count", "run the emulator with --units N"), ("N", "it sends newtons already and needs none"),
])  # fmt: skip
def test_an_emulated_roller_is_refused_before_asking_for_weights(tmp_path, units, instead):
    """The emulator's person keeps rolling and nobody can put a weight on it: a calibration could
    only fail at the first weight, so the command says so at once, and saves nothing."""
    env = {**os.environ, CONFIG_ENV: str(tmp_path / "cfg")}
    link = tmp_path / "roller"
    with running_emulator(link, "--units", units, "--build", "force", env=env):
        done = subprocess.run(
            [sys.executable, "-m", "smr_sense", "calibrate", "--source", f"serial:{link}"], input="\n\n\n",
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
    assert done.returncode == 2 and "Put" not in done.stdout
    assert done.stderr.count("\n") == 1 and "is an emulated roller" in done.stderr
    assert instead in done.stderr and "smr-sense calibrate --source sim" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cfg").exists() or not any((tmp_path / "cfg").rglob("*.json"))


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_zero_alone_on_an_emulated_count_roller_without_a_calibration_says_how(tmp_path):
    # It pointed to calibrating with known weights, which the emulated roller then refused.
    env = {**os.environ, CONFIG_ENV: str(tmp_path / "cfg")}
    link = tmp_path / "roller"
    with running_emulator(link, "--units", "count", "--build", "force", env=env):
        done = subprocess.run(
            [sys.executable, "-m", "smr_sense", "calibrate", "--source", f"serial:{link}", "--zero"], input="\n",
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "has no saved calibration to re-zero; an emulated roller cannot take known weights" in done.stderr
    assert "--units N" in done.stderr


def test_zero_alone_moves_the_zero_and_keeps_the_span(monkeypatch, capsys, config):
    # The maker's notes say to re-zero at the start of each session (load cells drift by several
    # newtons); the command had no way to do it short of weighing again.
    drifted = OFFSET - 4.0 * COUNTS_PER_N  # the saved zero: the roller now reads 4 N unloaded
    cal = {"channels": [{"name": "load", "model": "linear", "offset_counts": drifted, "n_per_count": 1 / COUNTS_PER_N}]}
    save_profile(Profile("bench:AA:BB", "Bench roller", cal, "2026-11-01T10:00:00+00:00", (0.3, -0.2), (0.05,)))
    code, out, err = run_cli(monkeypatch, capsys, "\n", BenchRoller(), "--zero", "--tare-s", "1")
    assert code == 0, err
    assert "re-zeroing Bench roller" in out and "Put " not in out  # no weights asked for
    assert f"load: the zero moved +4.0 N ({drifted:.0f} -> " in out
    profile = load_profile("bench:AA:BB")
    ch = profile.calibration["channels"][0]
    assert ch["offset_counts"] == pytest.approx(OFFSET, abs=10)
    assert ch["n_per_count"] == 1 / COUNTS_PER_N  # the span is the one the weights gave
    assert profile.residuals_n == (0.3, -0.2) and profile.noise_n == (0.05,)


def test_a_zero_that_barely_moved_reads_plus_zero_and_its_readings_say_counts(monkeypatch, capsys, config):
    # "load: the zero moved -0.0 N" for a zero 0.02 N off; "5 kg: 5676" did not say in what.
    cal = {"channels": [{"name": "load", "model": "linear", "offset_counts": OFFSET + 10, "n_per_count": 1 / COUNTS_PER_N}]}
    save_profile(Profile("bench:AA:BB", "Bench roller", cal, "2026-11-01T10:00:00+00:00", (), ()))
    code, out, err = run_cli(monkeypatch, capsys, "\n", BenchRoller(), "--zero", "--tare-s", "1")
    assert code == 0, err
    assert "load: the zero moved +0.0 N" in out and "-0.0" not in out
    assert re.search(r"zero over [\d.]+ s: load \d+ counts \(noise [\d.]+\)$", out, re.M)
    code, out, err = run_cli(monkeypatch, capsys, "\n\n", BenchRoller(), "--weights", "5", "--no-save")
    assert code == 0, err
    assert re.search(r" 5 kg: \d+ counts$", out, re.M)  # after its prompt, on the same line


def test_zero_alone_needs_a_saved_calibration(monkeypatch, capsys, config):
    code, out, err = run_cli(monkeypatch, capsys, "\n", BenchRoller(), "--zero")
    assert code == 2 and "Traceback" not in err
    assert "Bench roller has no saved calibration to re-zero; calibrate it with known weights first" in err
    assert load_profile("bench:AA:BB") is None
    # The command it suggests pastes into a shell as it is: '&' sent it to the background.
    monkeypatch.setattr("smr_sense.sources.make_source", lambda spec: BenchRoller())
    assert main(["calibrate", "--source", "serial:/dev/ttyACM0?rate=50&format=text", "--zero"]) == 2
    assert "(smr-sense calibrate --source 'serial:/dev/ttyACM0?rate=50&format=text')" in capsys.readouterr().err


def test_zero_alone_refuses_known_weights_it_would_not_use(monkeypatch, capsys, config):
    # --zero keeps the saved span: the weights were silently ignored.
    _known_profile()
    before = load_profile("bench:AA:BB")
    code, out, err = run_cli(monkeypatch, capsys, "\n", BenchRoller(), "--zero", "--weights", "5,10")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "--zero keeps the saved span and takes no known weights" in err
    assert load_profile("bench:AA:BB") == before


@pytest.mark.parametrize("zero_only", [False, True])
def test_a_zero_moved_since_the_profile_is_taken_once_the_person_says_the_roller_is_empty(
    monkeypatch, capsys, config, zero_only
):
    # The saved zero is 31 N off (a remounted load cell): every zero, the full calibration's too,
    # was refused as "carries about 31 N", and nothing but deleting the profile got out of it.
    cal = {"channels": [{"name": "load", "model": "linear", "offset_counts": OFFSET - 31 * COUNTS_PER_N,
                         "n_per_count": 1 / COUNTS_PER_N}]}
    save_profile(Profile("bench:AA:BB", "Bench roller", cal, "2026-11-01T10:00:00+00:00", (), ()))
    args = ("--zero",) if zero_only else ("--weights", "5")
    code, out, err = run_cli(monkeypatch, capsys, "\ne\n\n", BenchRoller(), *args, "--tare-s", "1")
    assert code == 0, err
    assert "  the roller carries about 31 N; take everything off it and retry the zero" in out
    assert "  if nothing is on it, its zero has moved since it was calibrated: answer e to zero it as it is" in out
    assert out.count("(e: it is empty; q to quit): ") == 1  # offered again at the zero only, not after it
    assert load_profile("bench:AA:BB").calibration["channels"][0]["offset_counts"] == pytest.approx(OFFSET, abs=10)


def test_ctrl_c_at_a_prompt_ends_calibrate_at_once(tmp_path):
    # The prompt's read sat in asyncio's executor: Ctrl-C printed "interrupted" and the program
    # still waited for Enter, taking whatever was typed meanwhile as the answer.
    import signal

    env = {**os.environ, CONFIG_ENV: str(tmp_path / "cfg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smr_sense", "calibrate", "--source", "sim", "--no-save"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    try:
        said = ""
        while not said.endswith("(q to quit): "):  # the prompt, which waits for its answer
            said += proc.stdout.read(1) or pytest.fail(f"calibrate ended before asking: {said!r}")
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)  # stdin stays open and empty: before, it never ended
    finally:
        proc.kill()
    assert code == 130 and "interrupted" in proc.stderr.read()


@pytest.mark.parametrize("answers", ["\nq\n", "e\nq\n"])  # e before any refusal is no way around the check
def test_zero_alone_with_weight_on_is_refused_and_keeps_the_old_zero(monkeypatch, capsys, config, answers):
    _known_profile()
    roller = BenchRoller(accepts_weights=False)
    roller.load_n = 30 * G_N_PER_KG
    code, out, err = run_cli(monkeypatch, capsys, answers, roller, "--zero", "--tare-s", "1")
    assert code == 1 and "the roller carries about 294 N" in out
    assert load_profile("bench:AA:BB").calibration["channels"][0]["offset_counts"] == OFFSET


class NewtonRoller(BenchRoller):
    """A roller whose firmware sends newtons and keeps its own zero (a ``tare`` command)."""

    def __init__(self) -> None:
        super().__init__()
        self.zero_n, self.commands = 3.0, []

    async def _open(self) -> StreamInfo:
        return StreamInfo("bench", "bench:N", "Newton roller", (Channel("force_n", "N"),), RATE)

    async def command(self, name, **args):
        self.commands.append(name)
        if name == "tare":
            self.zero_n = 0.0
        elif name not in ("remove_weights", "resume"):
            raise SourceError(f"the roller does not know '{name}'")

    async def _items(self):
        while True:
            t = self.t + np.arange(8) / RATE
            self.t = float(t[-1]) + 1 / RATE
            yield SampleBlock.build(t, self.zero_n + self.load_n + self.rng.normal(0, 0.05, 8))
            await asyncio.sleep(0)


def test_zero_alone_on_a_roller_in_newtons_tells_it_to_zero_itself(monkeypatch, capsys, config):
    # The notes told owners of such rollers to re-zero; the command answered "nothing to calibrate".
    roller = NewtonRoller()
    code, out, err = run_cli(monkeypatch, capsys, "\n", roller, "--zero", "--tare-s", "1")
    assert code == 0, err
    # With its units and its measured noise (it read "noise 0.50 N": half a count, in newtons), once: ...
    assert "zero over 1.0 s: force_n 3.00 N (noise 0.05 N)" in out
    assert "  told Newton roller to zero itself (it keeps its zero, not the host)" in out
    assert out.count("3.00 N") == 1  # ... it was said again as "it read force_n +3.00 N unloaded"
    assert "tare" in roller.commands and roller.zero_n == 0.0
    assert load_profile("bench:N") is None  # its zero is the device's, not a host profile


@pytest.mark.parametrize("rolling, refusal", [
    (True, "channel 'force_n' was not steady during the zero"),
    (False, "the roller carries about 303 N; take everything off it and retry the zero"),  # a still hold
])  # fmt: skip
def test_zero_alone_on_a_loaded_roller_in_newtons_sends_no_tare(monkeypatch, capsys, config, rolling, refusal):
    roller = NewtonRoller()
    roller.load_n = 300.0
    if rolling:  # someone rolling on it: the load swings by tens of newtons
        original = roller._items

        async def swinging():
            async for block in original():
                yield SampleBlock.build(block.t_s, block.raw + 40.0 * np.sin(block.t_s * 3.0)[:, None])

        roller._items = swinging
    code, out, err = run_cli(monkeypatch, capsys, "\nq\n", roller, "--zero", "--tare-s", "1")
    assert code == 1 and refusal in out
    assert "tare" not in roller.commands


def test_a_recording_is_not_calibrated_from_the_command_line(config, tmp_path, capsys):
    # It was zeroed from an old file and saved as the live roller's profile.
    from smr_sense.recording import RecordingWriter

    info = StreamInfo("bench", "bench:AA:BB", "Bench roller", (Channel("load", "count"),), RATE)
    path = tmp_path / "old.smr"
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(np.arange(400) / RATE, np.full(400, OFFSET)))
    _known_profile()
    before = profile_path("bench:AA:BB").read_bytes()
    for extra in ([], ["--zero"]):
        code = main(["calibrate", "--source", f"replay:{path}", *extra])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert "calibrate measures the roller in front of you, not a recording" in err and "press c" in err
    assert profile_path("bench:AA:BB").read_bytes() == before

"""The headless recorder as a user runs it: a real process, real signals."""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.core.samples import Marker
from smr_sense.recording import RecordingWriter, load_any
from smr_sense.sources.sim import DEFAULT_SEED
from link_helpers import running_emulator

CMD = [sys.executable, "-m", "smr_sense"]


def run(*args, timeout=60):
    return subprocess.run([*CMD, *args], capture_output=True, text=True, timeout=timeout)


def record_emulated(out: Path, duration_s: float, *emulator_options: str):
    """``record --duration`` from ``smr-sense emulate --pty OPTIONS`` beside ``out``, with the
    user's folders there too: (the finished record process, ``out``, the environment used)."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(out.parent / "config"), "XDG_DATA_HOME": str(out.parent / "data")}
    link = out.parent / "roller"
    with running_emulator(link, *emulator_options, env=env):
        done = subprocess.run(
            [*CMD, "record", "--source", f"serial:{link}", "--out", str(out), "--duration", f"{duration_s:g}"],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
    return done, out, env


def test_sigkill_loses_at_most_the_last_second(tmp_path):
    out = tmp_path / "killed.smr"
    proc = subprocess.Popen([*CMD, "record", "--source", "sim", "--out", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # printed once the source is open and the file exists
        assert first.startswith("recording "), first
        opened = time.monotonic()
        time.sleep(5.0)
        streamed_s = time.monotonic() - opened
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    rec = load_any(out)
    assert any("not closed cleanly" in w or "cut off" in w for w in rec.warnings)
    assert rec.block.t_s[-1] >= streamed_s - 1.0, (rec.block.t_s[-1], streamed_s)
    # And what was kept is the simulated session itself, bit for bit.
    direct = SimRoller(SimConfig(seed=DEFAULT_SEED)).read(len(rec.block))  # "sim" is sim:?seed=7
    assert rec.block.identical(direct)


def test_record_prints_events_and_saves(tmp_path):
    out = tmp_path / "r.smr"
    done = run("record", "--source", "sim:?seed=3&speed=max", "--duration", "120", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("recording Simulated roller (imu)")
    assert any("hold_started" in line for line in lines)
    assert any("rolling_started" in line for line in lines)
    assert lines[-1].startswith("saved ")
    rec = load_any(out)
    assert rec.warnings == []
    assert 119.0 < rec.block.t_s[-1] < 120.0
    assert rec.block.identical(SimRoller(SimConfig(seed=3)).read_until(120.0))
    # A hold's end line gives its span as analyze does: the line's own time is when the end showed,
    # a moment later ("45.66 s … hold ended: 29.4 s … (hold began at 15.76 s)" did not add up).
    holds = json.loads(run("analyze", str(out), "--json").stdout)["holds"]
    ended = [line for line in lines if "hold_ended" in line]
    assert holds and len(ended) == len(holds)
    for line, h in zip(ended, holds):
        span = re.search(r"hold ended: [0-9.]+ s \(([0-9.]+) to ([0-9.]+) s\), ", line)
        assert span, line  # the JSON's times are rounded to 4 decimals, the line's to 2: within 0.01
        assert [float(x) for x in span.groups()] == pytest.approx([h["start_s"], h["end_s"]], abs=0.0051)


@pytest.mark.parametrize("cap_s", ["8", "20"])
def test_record_warns_and_caps_when_analyze_of_its_file_does(tmp_path, cap_s):
    # record once took the 5 s warning for every cap: 3 s into a hold under an 8 s cap, where the
    # dashboard and analyze warn half way (4 s before it).
    out = tmp_path / "r.smr"
    done = run("record", "--source", "sim:?seed=8&speed=max", "--duration", "60", "--hold-cap", cap_s, "--out", str(out))
    assert done.returncode == 0, done.stderr
    printed = [line.split()[:3] for line in done.stdout.splitlines() if "hold_warning" in line or "hold_cap" in line]
    analysed = json.loads(run("analyze", str(out), "--hold-cap", cap_s, "--json").stdout)["events"]
    expected = [[f"{e['t_s']:.2f}", "s", e["kind"]] for e in analysed if e["kind"] in ("hold_warning", "hold_cap_reached")]
    assert printed == expected and len(expected) >= 2


def test_analyze_times_a_recording_by_the_cap_it_was_recorded_with(tmp_path):
    # record --hold-cap 8 said "2 reached the cap"; analyze of its file, without the option, judged
    # it at 20 s. The cap is in the header now; one given to analyze still wins.
    out = tmp_path / "r.smr"
    done = run("record", "--source", "sim:?seed=8&speed=max", "--duration", "60", "--hold-cap", "8", "--out", str(out))
    assert done.returncode == 0, done.stderr
    printed = [line.split()[0] for line in done.stdout.splitlines() if "hold_cap_reached" in line]
    analysed = json.loads(run("analyze", str(out), "--json").stdout)
    assert analysed["summary"]["hold_cap_s"] == 8.0
    assert [f"{e['t_s']:.2f}" for e in analysed["events"] if e["kind"] == "hold_cap_reached"] == printed != []
    assert "reached the 8 s cap" in run("analyze", str(out)).stdout
    assert json.loads(run("analyze", str(out), "--hold-cap", "20", "--json").stdout)["summary"]["hold_cap_s"] == 20.0
    late = run("analyze", str(out), "--warning", "10")  # fine for the default cap, not for this file's
    assert late.returncode == 2 and late.stderr.strip().endswith(f"--warning 10 s must be shorter than {out}'s 8 s hold cap")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_a_closed_terminal_close_the_recording_cleanly(tmp_path, sig):
    # SIGHUP (the terminal closed, an ssh dropped) exited 129 with no end marker: every later
    # analyze or export then warned that the file was not closed cleanly.
    out = tmp_path / "t.smr"
    proc = subprocess.Popen([*CMD, "record", "--source", "sim:?speed=5", "--out", str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("recording ")
    time.sleep(1.0)
    proc.send_signal(sig)
    stdout, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "saved " in stdout
    rec = load_any(out)
    assert rec.warnings == [] and len(rec.block) > 100


def test_ctrl_c_stops_a_source_that_never_waits(tmp_path):
    # At speed=max the simulator always has its next block ready: the recorder took it before it
    # looked at Ctrl-C, ran to the end of --duration (or filled the disk without one) and exit 0.
    out = tmp_path / "fast.smr"
    args = [*CMD, "record", "--source", "sim:?speed=max&duration=20000", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("recording ")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and stdout.splitlines()[-1].startswith("saved ")
    rec = load_any(out)
    assert rec.warnings == [] and 0 < rec.block.t_s[-1] < 19000.0


def test_record_never_overwrites(tmp_path):
    out = tmp_path / "keep.smr"
    out.write_bytes(b"precious")
    done = run("record", "--source", "sim:?speed=max&duration=2", "--out", str(out))
    assert done.returncode != 0
    assert done.stderr.strip() == f"smr-sense: error: {out} already exists; use --force to overwrite it"
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("taken", ["keep.summary.json", "keep.summary.md"])
def test_record_never_overwrites_a_summary_beside_its_file_either(tmp_path, taken):
    # The summary may be another session's report for a trainer: it was replaced without a word.
    (tmp_path / taken).write_text("precious")
    out = tmp_path / "keep.smr"
    done = run("record", "--source", "sim:?speed=max&duration=2", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"smr-sense: error: {tmp_path / taken} already exists; use --force to overwrite it, or record to another file"
    )
    assert (tmp_path / taken).read_text() == "precious" and not out.exists()
    forced = run("record", "--source", "sim:?speed=max&duration=2", "--out", str(out), "--force")
    assert forced.returncode == 0 and (tmp_path / taken).read_text() != "precious"


def test_force_never_writes_over_a_file_another_recorder_is_writing(tmp_path):
    # Two recorders on one file would both report success and leave a file mixing their chunks.
    out = tmp_path / "busy.smr"
    first = subprocess.Popen([*CMD, "record", "--source", "sim", "--out", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().startswith("recording ")  # the file is open and written to
        second = run("record", "--source", "sim:?seed=3&speed=max", "--duration", "5", "--out", str(out), "--force")
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"smr-sense: error: {out} is being recorded by another smr-sense right now; write to another file"
        )
        time.sleep(1.5)  # the first recorder goes on writing after the refusal
        first.send_signal(signal.SIGINT)
        first.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0
    rec = load_any(out)
    assert rec.warnings == []  # one whole recording, closed cleanly: the first one's own samples
    assert rec.block.identical(SimRoller(SimConfig(seed=DEFAULT_SEED)).read(len(rec.block)))
    # Once it has finished, the file is anyone's to overwrite.
    assert run("record", "--source", "sim:?speed=max&duration=2", "--out", str(out), "--force").returncode == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["record", "--source", "bogus", "--out", "x.smr"], "unknown source 'bogus'"),
        (["record", "--source", "replay:nope.smr", "--out", "x.smr"], "nope.smr does not exist"),
        (["export", "nope.smr", "--csv", "x.csv"], "nope.smr does not exist"),
        (["sim", "--duration", "-3", "--out", "x.smr"], "must be above zero"),
        (["record", "--out"], "expected one argument"),
    ],
)
def test_bad_input_is_one_sentence_and_non_zero(tmp_path, args, message):
    done = subprocess.run([*CMD, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_sim_writes_the_persons_group_changes_like_a_live_recording(tmp_path):
    """``smr-sense sim`` files carry the simulated person's muscle_group markers, as
    ``record --source sim`` does, so a replay files each hold under its group."""
    from smr_sense.cli import main
    from smr_sense.recording import load_recording

    out = tmp_path / "s.smr"
    assert main(["sim", "--seed", "101", "--duration", "150", "--out", str(out)]) == 0
    rec = load_recording(out)
    groups = [(m.data["group"], m.data["label"]) for m in rec.markers if m.kind == "muscle_group"]
    assert groups == [("calves", "Calves"), ("hamstrings", "Hamstrings"), ("quads", "Quads")]
    truth = json.loads((tmp_path / "s.smr.truth.json").read_text())["segments"]
    first_of = {}
    for seg in truth:
        first_of.setdefault(seg["group"], seg["start_s"])
    assert [m.t_s for m in rec.markers if m.kind == "muscle_group"] == [first_of[g] for g, _ in groups]


def test_the_source_a_sim_file_names_remakes_its_session(tmp_path):
    """The header's source spec is how a session is made again: a two-cell plate must say so."""
    from smr_sense.cli import main
    from smr_sense.recording import load_recording
    from smr_sense.core.sim import SimRoller
    from smr_sense.sources import make_source

    out = tmp_path / "c.smr"
    assert main(["sim", "--build", "channels", "--channels", "2", "--duration", "20", "--out", str(out)]) == 0
    rec = load_recording(out)
    assert rec.info.n_channels == 2
    again = SimRoller(make_source(rec.info.source).config).read_until(20.0)
    assert again.identical(rec.block)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_an_uncalibrated_roller_is_recorded_raw_and_measured_once_calibrated(tmp_path):
    """A bare HX711 roller sends counts and has no profile yet: its session is kept, not refused."""
    done, out, env = record_emulated(tmp_path / "raw.smr", 3, "--units", "count", "--build", "force")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "raw counts and has no calibration: recording them" in done.stderr
    assert "an emulated roller cannot take known weights (nobody can put one on it): run the emulator with --units N" in done.stderr
    assert done.stdout.splitlines()[-1].startswith("saved ")
    rec = load_any(out)
    assert rec.warnings == [] and 2.5 < rec.block.t_s[-1] - rec.block.t_s[0] < 3.0
    assert rec.info.channels[0].unit == "count" and not rec.info.calibration

    # With a calibration for the device, analyze measures the recorded counts.
    cal = {"device_id": rec.info.device_id, "channels": [
        {"name": "load", "model": "linear", "offset_counts": float(np.median(rec.block.raw[:50, 0])), "n_per_count": 0.0025}
    ]}  # fmt: skip
    (tmp_path / "cal.json").write_text(json.dumps(cal))
    analysed = subprocess.run(
        [*CMD, "analyze", str(out), "--calibration", str(tmp_path / "cal.json"), "--json"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["duration_s"] > 2.5


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_what_the_link_lost_is_said_and_kept_in_the_summary(tmp_path):
    # The header's link % was the only place lost and corrupt frames showed: a headless session and
    # its trainer's summary never learned that some of the samples never arrived.
    done, out, _env = record_emulated(tmp_path / "lossy.smr", 4, "--build", "force", "--faults", "checksum=0.05,drop=0.05")
    assert done.returncode == 0, done.stderr
    said = re.fullmatch(
        r"link: (\d+) samples lost in transit \((\d+) corrupt frames dropped\): (\d+\.\d) % arrived whole",
        done.stdout.splitlines()[-3],
    )
    assert said, done.stdout
    lost, corrupt, pct = int(said[1]), int(said[2]), float(said[3])
    kept = len(load_any(out).block)
    # A corrupt frame's sample is missing from the sequence: one of the lost, not one more.
    assert 0 < corrupt < lost and 85.0 < pct < 95.0
    assert pct == round(100.0 * kept / (kept + lost), 1)  # every sample that came is in the file
    warnings = json.loads((tmp_path / "lossy.summary.json").read_text())["warnings"]
    assert f"the roller's link lost data: {said[0].removeprefix('link: ')}" in warnings


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_a_roller_that_never_comes_back_ends_the_recording_at_its_duration(tmp_path):
    """Stream time stands still while the link is lost; --duration then counts the wall time."""
    link, out = tmp_path / "roller", tmp_path / "gone.smr"
    with running_emulator(link, "--build", "force") as emulator:
        cmd = [*CMD, "record", "--source", f"serial:{link}", "--out", str(out), "--duration", "8"]
        recorder = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert recorder.stdout.readline().startswith("recording ")
            time.sleep(1.0)
            emulator.kill()  # the roller is gone: its pseudo-terminal closes and never reopens
            emulator.wait(timeout=30)
            link.unlink()  # ... nor its name (a new pty of the same number must not stand in for it)
            stdout, stderr = recorder.communicate(timeout=30)
        finally:
            recorder.kill()
    assert recorder.returncode == 0, stderr
    lines = stdout.splitlines()
    assert any("disconnected" in line for line in lines)
    assert "--duration 8 s reached while the link was lost" in lines
    assert lines[-1].startswith("saved ")
    rec = load_any(out)
    assert rec.warnings == [] and 0.5 < rec.block.t_s[-1] - rec.block.t_s[0] < 8.0


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_another_roller_on_the_lost_link_is_said_once_not_waited_on_in_silence(tmp_path):
    # The emulator killed and another one started on the same link: `record` printed "link lost"
    # and then nothing while it refused the stranger; the dashboard says why on its banner.
    link, out = tmp_path / "roller", tmp_path / "s.smr"
    lines: queue.Queue[str] = queue.Queue()

    def line_with(text: str) -> str:
        while True:
            line = lines.get(timeout=60)
            if text in line:
                return line

    with running_emulator(link, "--seed", "1") as ours:
        recorder = subprocess.Popen([*CMD, "record", "--source", f"serial:{link}", "--out", str(out)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            threading.Thread(target=lambda: [lines.put(x.rstrip("\n")) for x in recorder.stdout], daemon=True).start()
            assert line_with("recording ").startswith("recording ")
            ours.kill()
            ours.wait(timeout=30)
            line_with("disconnected")
            with running_emulator(link, "--seed", "2"):
                refused = line_with("refused")
                recorder.send_signal(signal.SIGINT)
                recorder.wait(timeout=30)
        finally:
            recorder.kill()
    assert refused.endswith(
        f"{'refused':<19} another device answered on serial:{link} (id emu-imu-2, not emu-imu-1): "
        "waiting for the session's roller"
    )
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert not any("refused" in line for line in rest), rest  # once, not every half second
    assert load_any(out).info.device_id == "emu-imu-1"


def test_a_replayed_drop_is_stream_time_like_the_rest(tmp_path):
    # Only a live link's drop counts wall time: a slowed replay of a file that notes a drop (and no
    # return) was cut at a quarter of its --duration.
    src, out = tmp_path / "dropped.smr", tmp_path / "again.smr"
    roller = SimRoller(SimConfig(seed=2, build="force"))
    with RecordingWriter(src, roller.info) as w:
        w.append(roller.read_until(0.2))
        w.mark(Marker(0.2, "disconnected", {"reason": "the device was unplugged"}))
        w.append(roller.read_until(3.0))
    done = run("record", "--source", f"replay:{src}?speed=0.25", "--duration", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "reached while the link was lost" not in done.stdout
    assert 0.98 < load_any(out).block.t_s[-1] < 1.0


def test_recording_a_replay_from_part_way_keeps_the_group_in_force_there(tmp_path):
    # imu_routine.smr: Quads from 143.76 s, a hold from 162.4 s. Started at 150 s, the new file
    # begins there, on Quads, and measures that hold as the original does.
    src = os.path.join(os.path.dirname(__file__), "..", "recordings", "imu_routine.smr")
    out = tmp_path / "part.smr"
    r = run("record", "--source", f"replay:{src}?start=150&speed=max", "--out", str(out), "--duration", "20")
    assert r.returncode == 0, r.stderr
    rec = load_any(out)
    assert 149.9 < rec.block.t_s[0] < 150.1
    assert [(m.kind, m.data["group"]) for m in rec.markers] == [("muscle_group", "quads")]
    summary = json.loads(run("analyze", str(out), "--json").stdout)
    assert [round(h["start_s"], 1) for h in summary["holds"]] == [162.4]


@pytest.mark.parametrize("command", [
    ["export", "{f}", "--csv", "{f}", "--force"],
    ["record", "--source", "replay:{f}?speed=max", "--out", "{f}", "--force"],
])
def test_a_command_never_writes_over_the_file_it_reads(tmp_path, command):
    # With --force, export turned the recording itself into a CSV (its header gone), and record
    # truncated the file it was replaying.
    src = os.path.join(os.path.dirname(__file__), "..", "recordings", "imu_routine.smr")
    f = tmp_path / "s.smr"
    f.write_bytes(open(src, "rb").read())
    before = f.read_bytes()
    r = run(*[part.format(f=f) for part in command])
    assert r.returncode == 2 and r.stderr.strip() == f"smr-sense: error: {f} is the file being read; write to another file"
    assert f.read_bytes() == before


def test_a_one_sample_file_is_counted_in_the_singular(tmp_path):
    # `sim --duration 0.001` writes one sample; every command then reports it as such.
    out, csv = tmp_path / "one.smr", tmp_path / "one.csv"
    made = run("sim", "--duration", "0.001", "--out", str(out))
    assert made.returncode == 0 and f"wrote {out} (1 sample, 0.001 s, 0 holds)" in made.stdout
    exported = run("export", str(out), "--csv", str(csv))
    assert exported.returncode == 0 and exported.stdout.rstrip().endswith("(1 sample)")


def test_ctrl_c_during_sim_keeps_a_whole_file_and_its_truth(tmp_path):
    # It left a recording with no truth beside it, so the pair could not be scored.
    out = tmp_path / "big.smr"
    sim = subprocess.Popen([*CMD, "sim", "--duration", "86400", "--out", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (out.exists() and out.stat().st_size > 100_000) and time.monotonic() < deadline:
            time.sleep(0.05)
        sim.send_signal(signal.SIGINT)
        stdout, _ = sim.communicate(timeout=30)
    finally:
        sim.kill()
    assert sim.returncode == 130
    assert "of the 86400 asked: stopped by Ctrl-C" in stdout
    rec = load_any(out)
    truth = json.loads((tmp_path / "big.smr.truth.json").read_text())
    assert rec.warnings == [] and 0 < truth["duration_s"] < 86400
    assert truth["duration_s"] - 1.0 < rec.block.t_s[-1] < truth["duration_s"]
    assert truth["segments"][-1]["end_s"] <= truth["duration_s"]
    assert rec.block.identical(SimRoller(SimConfig(seed=DEFAULT_SEED)).read_until(truth["duration_s"]))


def test_the_closing_summary_says_how_often_and_how_long_the_signal_was_lost(tmp_path):
    # edge_dropout.csv has 2 s without samples; the closing line told the holds and rolling only.
    src = Path(__file__).parents[1] / "recordings" / "edge_dropout.csv"
    done = run("record", "--source", f"replay:{src}?speed=max", "--out", str(tmp_path / "x.smr"))
    assert done.returncode == 0, done.stderr
    summary = next(line for line in done.stdout.splitlines() if line.startswith("summary:"))
    assert summary.endswith(", signal lost 1 time (2.0 s without samples)")
    analyzed = run("analyze", str(tmp_path / "x.smr"))
    assert "  signal lost 1 time (2.0 s without samples)\n" in analyzed.stdout
    as_json = json.loads(run("analyze", "--json", str(tmp_path / "x.smr")).stdout)
    assert as_json["summary"]["signal_lost_s"] == pytest.approx(2.01)


def test_a_session_with_no_holds_says_0_holds_and_nothing_about_caps(tmp_path):
    # It said "0 holds (0 reached the cap, 0.0 s over)"; analyze "holds: 0 (0 reached the 20 s cap),
    # 0.0 s in total, longest 0.0 s".
    out = tmp_path / "short.smr"
    done = run("record", "--source", "sim:?seed=8&speed=max", "--duration", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    summary = next(line for line in done.stdout.splitlines() if line.startswith("summary:"))
    assert summary.startswith("summary: 3 s, 0 holds, rolling ")
    assert "cap" not in summary and " over" not in summary
    assert "  holds: 0; rolling: " in run("analyze", str(out)).stdout

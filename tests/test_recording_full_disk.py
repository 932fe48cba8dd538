"""A disk that refuses a write (full, or a file-size limit): one sentence, and every whole chunk
written before it still reads back. A real refusal: RLIMIT_FSIZE (Python ignores SIGXFSZ, so the
write fails with EFBIG) and /dev/full (ENOSPC)."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import time

import pytest

from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.recording import load_any
from smr_sense.tui.session import DashboardSession

CMD = [sys.executable, "-m", "smr_sense"]
LIMIT_BYTES = 64 * 1024


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def test_record_on_a_disk_that_fills_keeps_what_was_written_and_says_so(tmp_path):
    out = tmp_path / "full.smr"
    r = subprocess.run(
        [*CMD, "record", "--source", "sim:?speed=8", "--duration", "600", "--out", str(out)],
        capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"smr-sense: error: cannot write {out}: File too large; it keeps the ")
    kept = int(r.stderr.split("it keeps the ")[1].split()[0])
    rec = load_any(out)
    assert len(rec.block) == kept > 1000  # several flushes' worth, each whole
    assert out.stat().st_size <= LIMIT_BYTES


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("command", [["sim", "--duration", "5"], ["record", "--source", "sim:?speed=max", "--duration", "5"]])
def test_writing_to_dev_full_is_one_sentence_and_leaves_the_device_alone(command):
    r = subprocess.run([*CMD, *command, "--out", "/dev/full", "--force"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == "smr-sense: error: cannot write /dev/full: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # never removed as a half-written file


def test_the_dashboard_session_goes_on_when_its_recording_stops(tmp_path):
    roller = SimRoller(SimConfig(seed=3, build="force", rate_hz=100.0))
    live = DashboardSession(SessionSettings(), record_path=tmp_path / "s.smr")
    live.start(roller.info)
    live.writer.flush_interval_s = 0.0  # every block goes to the disk at once
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))
    try:
        for _ in range(90):
            live.feed(roller.read(100))  # 90 s: far more than 16 kB
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    outcome = live.finish()
    assert live.problem.startswith(f"The recording stopped: cannot write {tmp_path / 's.smr'}: File too large")
    assert any(e.startswith("the recording stopped early: cannot write") for e in outcome.error.split("; "))
    assert outcome.summary is not None and outcome.summary.holds >= 1  # the whole session is still summarised
    assert len(load_any(tmp_path / "s.smr").block) == live.writer.written > 0


def test_an_export_cut_off_by_a_full_disk_leaves_no_shorter_csv_and_keeps_the_last(tmp_path):
    # A CSV cut mid-way read back as a shorter session, with no word that anything was missing.
    rec, csv = tmp_path / "s.smr", tmp_path / "s.csv"
    assert subprocess.run([*CMD, "sim", "--duration", "60", "--out", str(rec)], capture_output=True).returncode == 0
    cut = subprocess.run(
        [*CMD, "export", str(rec), "--csv", str(csv)], capture_output=True, text=True, timeout=60,
        preexec_fn=_limit_file_size,
    )  # fmt: skip
    assert cut.returncode == 2 and cut.stderr == f"smr-sense: error: cannot write {csv}: File too large\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.smr", "s.smr.truth.json"]

    whole = subprocess.run([*CMD, "export", str(rec), "--csv", str(csv)], capture_output=True, text=True, timeout=60)
    assert whole.returncode == 0, whole.stderr
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = subprocess.run(
        [*CMD, "export", str(rec), "--csv", str(csv), "--force"], capture_output=True, text=True, timeout=60,
        preexec_fn=_limit_file_size,
    )  # fmt: skip
    assert again.returncode == 2
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # the last export, whole
    assert len(load_any(csv).block) == len(load_any(rec).block)


def test_ctrl_c_during_an_export_leaves_nothing_half_written(tmp_path):
    rec, csv = tmp_path / "s.smr", tmp_path / "s.csv"
    assert subprocess.run([*CMD, "sim", "--duration", "3600", "--out", str(rec)], capture_output=True).returncode == 0
    export = subprocess.Popen([*CMD, "export", str(rec), "--csv", str(csv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        part = tmp_path / ".s.csv.part"
        while not part.exists() and export.poll() is None:
            time.sleep(0.01)
        export.send_signal(signal.SIGINT)
        _, stderr = export.communicate(timeout=60)
    finally:
        export.kill()
    if export.returncode == 0:
        pytest.skip("the export finished before it could be interrupted")
    assert export.returncode == 130 and stderr == b"smr-sense: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.smr", "s.smr.truth.json"]

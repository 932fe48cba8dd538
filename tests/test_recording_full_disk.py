"""A disk that refuses a write (full, or a file-size limit): one sentence, and every whole chunk
written before it still reads back. A real refusal: RLIMIT_FSIZE (Python ignores SIGXFSZ, so the
write fails with EFBIG), /dev/full (ENOSPC) and a pipe whose reader leaves (EPIPE). A pipe or a
device that takes it all is written like a file."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import threading
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


def _record_into(fifo, reader, duration_s):
    """Run ``record`` into the FIFO ``fifo`` while ``reader(stream)`` reads its other end."""
    os.mkfifo(fifo)
    done = threading.Thread(target=lambda: reader(open(fifo, "rb")))  # noqa: SIM115 - the reader closes it
    done.start()
    r = subprocess.run([*CMD, "record", "--source", "sim:?speed=max", "--duration", str(duration_s), "--out", str(fifo)],
                       capture_output=True, text=True, timeout=120)
    done.join(timeout=30)
    return r


def test_a_recording_streams_through_a_pipe_and_reads_back_whole(tmp_path):
    got = tmp_path / "got.smr"

    def copy(stream):
        with stream, open(got, "wb") as out:
            out.write(stream.read())

    # An existing pipe needs no --force: it holds nothing to lose. It cannot seek, cut or fsync.
    r = _record_into(tmp_path / "pipe", copy, 5)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    saved = int(r.stdout.split("saved ")[1].split()[0])
    assert len(load_any(got).block) == saved > 400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got.smr", "pipe"]  # no summary beside a pipe


def test_a_pipe_whose_reader_leaves_is_one_sentence(tmp_path):
    def leave(stream):
        with stream:
            stream.read(3000)

    fifo = tmp_path / "pipe"
    r = _record_into(fifo, leave, 600)  # far more than a pipe's buffer holds
    assert r.returncode == 2
    assert r.stderr.startswith(f"smr-sense: error: cannot write {fifo}: Broken pipe"), r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
def test_recording_to_dev_null_needs_no_force():
    r = subprocess.run([*CMD, "record", "--source", "sim:?speed=max", "--duration", "2", "--out", "/dev/null"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "saved 200 samples to /dev/null" in r.stdout
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

"""Smoke test of the real command in a real terminal: ``smr-sense demo`` in tmux, quit, files saved."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
SMR_SENSE = Path(sys.executable).with_name("smr-sense")


def pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_pane(session: str, text: str, limit_s: float = 30.0) -> str:
    for _ in range(int(limit_s / 0.25)):
        screen = pane(session)
        if text in screen:
            return screen
        time.sleep(0.25)
    raise AssertionError(f"'{text}' never appeared; the screen was:\n{pane(session)}")


def start(session: str, tmp_path: Path, args: str, size: tuple[int, int] = (80, 24)) -> None:
    """``smr-sense ARGS`` in a new tmux session, its data and config under ``tmp_path``; the pane
    stays open afterwards with the exit code ("EXIT=0")."""
    env = f"SMR_SENSE_DATA_DIR={tmp_path / 'data'} SMR_SENSE_CONFIG_DIR={tmp_path / 'config'}"
    cmd = f"env {env} {SMR_SENSE} {args}; echo EXIT=$?; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), cmd], check=True)


def test_demo_in_a_real_terminal_records_and_saves_on_quit(tmp_path):
    session = f"smr-test-{os.getpid()}"
    start(session, tmp_path, "demo --speed 4 --seed 3")
    try:
        wait_pane(session, "● REC")
        wait_pane(session, "Recording to …/demo-")  # at 80 columns the header leaves its name to the log
        screen = wait_pane(session, "On the roller")  # the simulated person got on: events flow
        assert "Routine, bottom up" in screen and "Calves" in screen  # the simulated person got on: events flow
        subprocess.run(["tmux", "send-keys", "-t", session, "Down"], check=True)
        wait_pane(session, "Now: Hamstrings")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        wait_pane(session, "Session summary")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        screen = wait_pane(session, "EXIT=0")
        assert "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    sessions = tmp_path / "data" / "sessions"
    names = sorted(p.name for p in sessions.iterdir())
    assert len(names) == 3 and names[0].endswith(".smr")
    assert names[1].endswith(".summary.json") and names[2].endswith(".summary.md")
    assert f"saved {sessions / names[0]}" in screen.replace("\n", "")


def test_bad_input_is_one_sentence_before_the_screen_opens(tmp_path):
    out = subprocess.run([str(SMR_SENSE), "replay", str(tmp_path / "nope.smr")], capture_output=True, text=True)
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.strip() == f"smr-sense: error: {tmp_path / 'nope.smr'} does not exist"
    out = subprocess.run([str(SMR_SENSE), "live", "--source", "warp:drive"], capture_output=True, text=True)
    assert out.returncode != 0 and out.stderr.count("\n") == 1 and "unknown source" in out.stderr


def test_closing_the_terminal_still_saves_the_recording_and_the_summary(tmp_path):
    session = f"smr-test-hup-{os.getpid()}"
    env = f"SMR_SENSE_DATA_DIR={tmp_path / 'data'} SMR_SENSE_CONFIG_DIR={tmp_path / 'config'}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", f"exec env {env} {SMR_SENSE} demo --speed 4"],
        check=True,
    )
    pid = subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], capture_output=True, text=True).stdout
    wait_pane(session, "On the roller")
    subprocess.run(["tmux", "kill-session", "-t", session], check=True)  # the window is closed: SIGHUP
    sessions = tmp_path / "data" / "sessions"
    for _ in range(60):  # the app saves at once; the process is gone within the watchdog's 5 s
        if not Path(f"/proc/{pid.strip()}").exists():
            break
        time.sleep(0.25)
    assert not Path(f"/proc/{pid.strip()}").exists()
    names = sorted(p.name for p in sessions.iterdir())
    assert [n.split(".", 1)[1] for n in names] == ["smr", "summary.json", "summary.md"]
    from smr_sense.recording import load_recording

    assert not load_recording(sessions / names[0]).warnings  # closed cleanly, not torn


def test_a_replayed_csv_that_does_not_say_when_it_was_made_is_not_dated_today(tmp_path):
    # The summary said "started <the day of the replay>": a CSV without a .stream.json has no date.
    shutil.copy(Path(__file__).parents[1] / "recordings" / "edge_hold_19s.csv", tmp_path)
    session = f"smr-test-csv-{os.getpid()}"
    start(session, tmp_path, f"replay {tmp_path / 'edge_hold_19s.csv'} --speed max", size=(100, 32))
    try:
        wait_pane(session, "Session summary")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        wait_pane(session, "EXIT=0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    report = (tmp_path / "edge_hold_19s.csv.summary.md").read_text()
    assert "A session of 43 s on " in report and "started" not in report

"""`export` to standard output, a pipe or a device: the CSV alone, nothing made beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

CMD = [sys.executable, "-m", "smr_sense"]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A simulated recording (with the group markers `sim` writes) and its export to a file."""
    folder = tmp_path_factory.mktemp("export")
    rec = folder / "s.smr"
    assert subprocess.run([*CMD, "sim", "--duration", "40", "--out", str(rec)], capture_output=True).returncode == 0
    r = subprocess.run([*CMD, "export", str(rec), "--csv", str(folder / "s.csv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (folder / "s.markers.csv").exists()  # the case where the sidecars matter most
    return rec, (folder / "s.csv").read_bytes()


def test_export_to_standard_output_writes_the_csv_and_reports_on_stderr(session, tmp_path):
    rec, csv = session
    r = subprocess.run([*CMD, "export", str(rec), "--csv", "-"], capture_output=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == csv  # the same bytes as the file export, and nothing else mixed in
    samples = csv.count(b"\n") - 1  # less the header
    assert r.stderr.decode().splitlines() == [
        f"smr-sense: warning: standard output is not a file, so it holds the CSV alone; the device, rate, "
        f"channels, body weight and markers stay in {rec}",
        f"wrote {samples} samples to standard output",
    ]
    assert list(tmp_path.iterdir()) == []  # no file called "-", no "-.stream.json"


def test_export_into_a_reader_that_stops_early_ends_quietly(session, tmp_path):
    rec, _ = session
    p = subprocess.Popen(
        [*CMD, "export", str(rec), "--csv", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )  # fmt: skip
    assert p.stdout.readline().startswith(b"time_s,")
    p.stdout.close()  # as `| head -1` does
    stderr = p.stderr.read().decode()
    assert p.wait(timeout=60) == 0
    assert "error" not in stderr and "Traceback" not in stderr and "Exception" not in stderr


def test_export_into_a_named_pipe_makes_no_description_beside_it(session, tmp_path):
    rec, csv = session
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    # No --force: a pipe always exists, and holds nothing to overwrite ("pipe.csv already exists").
    r = subprocess.run([*CMD, "export", str(rec), "--csv", str(fifo)], capture_output=True, text=True, timeout=60)
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert got == [csv]
    assert r.stderr.startswith(f"smr-sense: warning: {fifo} is not a file, so it holds the CSV alone;")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.csv"]  # no pipe.stream.json, no pipe.markers.csv

"""Export: a recording as interchange CSV (``recording.csvio`` describes the shape), with its
stream's description and its markers beside it, so reading the CSV back gives the same session."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import TextIO

import numpy as np

from smr_sense.core.calibration import forces_n, is_calibrated
from smr_sense.core.pipeline import first_saved_calibration, saved_calibration
from smr_sense.core.samples import GYRO_AXES, Marker
from smr_sense.errors import FileFormatError, SmrError
from smr_sense.recording.csv_sensor import describe, stream_path, write_description
from smr_sense.recording.csvio import markers_path
from smr_sense.recording.reader import Recording
from smr_sense.recording.writer import check_output_path


def unmeasured_until(rec: Recording) -> Marker | None:
    """The wizard's first calibration, when ``rec`` is the export of a roller first calibrated there:
    a CSV whose forces are all empty (NaN) before that marker, as :func:`export_csv` writes them.
    Such a file has no force, so no analysis, before it: ``analyze`` and a replay start there, as
    the live session did. None for any other file."""
    if not rec.from_csv:
        return None
    first = first_saved_calibration(rec.markers)
    if first is None:
        return None
    before = rec.block.raw[: rec.first_after(first)]
    return first if before.size and np.isnan(before).all() else None


def _forces_as_measured_n(rec: Recording) -> np.ndarray:
    """Newtons per sample under the calibration in force at its time, as the live session measured
    them: the header's, then each calibration the dashboard's wizard saved, from its marker on
    (samples at the marker's time came before it). One calibration for the whole file would weigh
    every sample after a recalibration wrongly, and analysing the CSV would say so silently."""
    info, raw = rec.info, rec.block.raw
    # A roller first calibrated in the wizard had no force before that: no value, not a guess.
    out = forces_n(info, raw) if is_calibrated(info) else np.full(raw.shape, np.nan)
    for m in sorted(rec.markers, key=lambda m: m.t_s):
        calibration = saved_calibration(m)
        if calibration is None:
            continue
        now = info.with_calibration(calibration)
        if not is_calibrated(now):
            raise FileFormatError(
                f"{rec.path}: the calibration saved at {m.t_s:.2f} s does not cover its channels, "
                "so its forces cannot be exported"
            )
        start = rec.first_after(m)
        out[start:] = forces_n(now, raw[start:])
    return out


def export_csv(rec: Recording, out: str | os.PathLike[str], *, force: bool = False) -> list[str]:
    """Write ``rec`` as interchange CSV, its stream's description beside it, and a markers CSV when
    there are markers.

    Returns the paths written. Calibrated streams get ``force_n*`` columns; raw values are always kept.
    A device or a pipe (``/dev/null``, a FIFO) gets the CSV alone: there is no folder beside it for
    the other two (``/dev/null.stream.json`` would be a new file in /dev).
    """
    out = Path(out)
    stream = out.exists() and not out.is_file()
    # All three names are the export's: a markers file left from an older export would be read back
    # as this CSV's, so it is replaced (or removed) under the same rule as the CSV itself. A CSV
    # being read brings its own two files along, and those are not written over; a recording
    # brings none (its markers and description are inside it), so exporting it again to the same
    # name replaces the last export.
    reading: tuple[Path, ...] = (Path(rec.path),)
    if rec.from_csv:
        reading += (markers_path(Path(rec.path)), stream_path(Path(rec.path)))
    check_output_path(out, force, reading=reading)  # first: "." or "/" has no name for the other two
    mpath, spath = markers_path(out), stream_path(out)
    for path in () if stream else (spath, mpath) if rec.markers or mpath.exists() else (spath,):
        check_output_path(path, force, reading=reading)
    if out.suffix.lower() == ".smr":  # it would read back as a broken recording, and look like one
        raise SmrError(f"{out} is a recording's name; give the CSV a name ending in .csv")
    # Each file is written beside its name and put in place once all are whole: an export cut off
    # (a full disk, Ctrl-C) leaves no shorter CSV that reads back as the session, and keeps the last one.
    sidecars = () if stream else (spath, mpath) if rec.markers else (spath,)
    staged = {path: _staging(path) for path in (out, *sidecars)}
    try:
        with open(staged[out][0], "w", newline="") as fh:
            force_columns = write_csv(rec, fh)
        if spath in staged:
            extra = dict(rec.header.get("extra") or {})
            write_description(staged[spath][0], describe(rec.info, force_columns, extra, rec.header.get("created_utc")))
        if mpath in staged:
            with open(staged[mpath][0], "w", newline="") as fh:
                fh.write("time_s,kind,data\n")
                for m in rec.markers:
                    data = json.dumps(m.data, separators=(",", ":")).replace('"', '""')
                    fh.write(f'{m.t_s:.6f},{m.kind},"{data}"\n')
        elif not stream:
            mpath.unlink(missing_ok=True)
        for tmp, target in staged.values():
            if tmp != target:
                if target.exists():
                    shutil.copymode(target, tmp)  # a private export stays private
                os.replace(tmp, target)
    except BaseException as err:
        for tmp, target in staged.values():
            if tmp != target:
                with contextlib.suppress(OSError):  # what cannot be written may not be removable either
                    tmp.unlink(missing_ok=True)
        if not isinstance(err, OSError) or isinstance(err, BrokenPipeError):
            raise  # a reader that stopped early (``| head``) is not a failure to report
        # Any of the three files: a full disk, a folder gone since the check.
        failed = next((path for path, (tmp, _) in staged.items() if str(tmp) == str(err.filename)), out)
        raise FileFormatError(f"cannot write {failed}: {err.strerror}") from None
    return [str(path) for path in staged]


def write_csv(rec: Recording, fh: TextIO) -> list[str]:
    """Write ``rec``'s samples as interchange CSV to ``fh``; returns the force columns' names (the
    measured ones when the stream is calibrated, else the raw ones)."""
    info, block = rec.info, rec.block
    k = info.n_channels
    names: list[str] = ["time_s"]
    cols: list[np.ndarray] = [block.t_s]
    fmts: list[str] = ["%.6f"]
    measured = is_calibrated(info) or first_saved_calibration(rec.markers) is not None
    if info.channels[0].unit != "N" and measured:
        f = _forces_as_measured_n(rec)
        names += ["force_n"] if k == 1 else [f"force_n_{i}" for i in range(k)]
        cols += [f[:, i] for i in range(k)]
        fmts += ["%.9g"] * k  # to the float32 raw value's precision: the CSV analyses as the recording does
    unit_prefix = "force_n" if info.channels[0].unit == "N" else "raw"
    names += [unit_prefix] if unit_prefix == "force_n" and k == 1 else [f"{unit_prefix}_{i}" for i in range(k)]
    cols += [block.raw[:, i].astype(np.float64) for i in range(k)]
    fmts += ["%.9g"] * k
    for prefix, arr, unit in (("gyro", block.gyro_dps, "dps"), ("accel", block.accel_g, "g")):
        if arr is not None:
            names += [f"{prefix}_{a}_{unit}" for a in GYRO_AXES]
            cols += [arr[:, j].astype(np.float64) for j in range(3)]
            fmts += ["%.9g"] * 3
    if block.host_t_s is not None and not np.isnan(block.host_t_s).all():
        names.append("host_time_s")
        cols.append(block.host_t_s)
        fmts.append("%.6f")
    table = np.column_stack(cols) if len(block) else np.empty((0, len(names)))
    fh.write(",".join(names) + "\n")
    np.savetxt(fh, table, fmt=fmts, delimiter=",")
    return names[1 : 1 + k]


def _staging(path: Path) -> tuple[Path, Path]:
    """(where ``path`` is written first, what it then replaces). A device or a pipe (``/dev/null``,
    ``/dev/stdout``) is written as it is; a link keeps pointing where it did: its target is replaced."""
    if path.exists() and not path.is_file():
        return path, path
    target = Path(os.path.realpath(path))
    return target.with_name(f".{target.name}.part"), target

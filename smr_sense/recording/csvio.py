"""Interchange CSV: the shape any logger can write and any spreadsheet can open.

A header row, then one row per sample (names and cells may be quoted, as spreadsheets and
loggers write them)::

    time_s, force_n | force_n_0..k | raw_0..k [, gyro_x_dps, gyro_y_dps, gyro_z_dps]
           [, accel_x_g, accel_y_g, accel_z_g] [, host_time_s]

``time_s`` is seconds (steps that would mean under 5 Hz, a device clock's milliseconds or
microseconds, are refused, never rescaled); ``force_n*`` columns are newtons; ``raw_*`` columns are
uncalibrated counts; a force column that reads a load only as negative is warned about (a load cell
wired backwards), never flipped. Lines end in LF, CRLF or a CR alone; lines starting with ``#`` are
comments. Empty cells and ``nan`` are missing values (kept as NaN for the detector to bridge), and so
is ``inf`` (no sensor reads it); values beyond float32's range are kept at its edge, for the
conditioner to count as beyond what a roller can read (each said in a warning); anything else that
is not a number is refused with its line number. A force or raw column with no usable value at all
is refused: there is nothing to fill its gaps from.

Markers (muscle groups, link gaps, calibrations) live beside the CSV in ``NAME.markers.csv``
(``time_s,kind,data`` with ``data`` a JSON object; ``recording.csv_markers``), and what the columns
cannot say (the device, the nominal rate, channel names and positions, the session's body weight)
in ``NAME.stream.json`` (``recording.csv_sensor``), as ``export`` writes them
(``recording.csv_export``); reading the CSV reads them too.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from smr_sense.core.condition import PLAUSIBLE_FORCE_N
from smr_sense.core.samples import (
    GYRO_AXES,
    STREAM_RATE_RANGE_HZ,
    VALUE_DTYPE,
    Channel,
    SampleBlock,
    StreamInfo,
)
from smr_sense.core.words import counted, rounded
from smr_sense.errors import FileFormatError
from smr_sense.recording.csv_markers import markers_path, read_markers
from smr_sense.recording.csv_sensor import read_description
from smr_sense.recording.reader import CSV_SCHEMA, Recording, check_monotonic

_FORCE = re.compile(r"^force_n(?:_(\d+))?$")
# The largest magnitude a float32 sensor value can hold; beyond it a cell is no reading at all.
_VALUE_MAX = float(np.finfo(VALUE_DTYPE).max)
_RAW = re.compile(r"^raw_(\d+)$")
# Far below the rates a roller streams at, a time step is a device clock's counts.
_MIN_RATE_HZ, _MAX_RATE_HZ = STREAM_RATE_RANGE_HZ
# A push this size is someone on the roller: the detector's default contact threshold.
_LOAD_N = 25.0
UNDESCRIBED_DEVICE = "csv:"  # + the file name: the device id of a CSV whose description names none


def _header_and_body(data: bytes, name: str) -> tuple[list[str], bytes, int]:
    """Skip comments and blank lines; return column names, the rest, and the header's line number."""
    # A BOM (Excel, Notepad) comes before whatever line is first, a comment too, not only the header.
    pos = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    line_no = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        line = data[pos:end].strip()
        line_no += 1
        pos = end + 1
        if not line or line.startswith(b"#"):
            continue
        try:
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileFormatError(f"{name} is not a text CSV file") from None
        # The csv module's rules for the one header line, so names quoted as spreadsheets export
        # them ("time_s", "force_n") read as the names; the rows stay on the fast numeric path.
        try:
            names = next(csv.reader([text], skipinitialspace=True))
        except csv.Error as err:
            raise FileFormatError(f"{name}: the header on line {line_no} cannot be read as CSV ({err})") from None
        return [c.strip().lower() for c in names], data[pos:], line_no
    raise FileFormatError(f"{name} has no header row")


def _column_plan(cols: list[str], name: str) -> tuple[list[int], str, list[str]]:
    if "time_s" not in cols:
        for sep in (";", "\t"):
            # A spreadsheet set to a European locale separates with ';'; a logger may use tabs.
            if len(cols) == 1 and "time_s" in cols[0].split(sep):
                shown = "';'" if sep == ";" else "tabs"
                raise FileFormatError(f"{name} separates its columns with {shown}; an interchange CSV uses commas")
        raise FileFormatError(
            f"{name} has no time_s column; an interchange CSV starts with time_s, then force_n or raw_0..k"
        )
    if len(set(cols)) != len(cols):
        raise FileFormatError(f"{name} repeats a column name in its header")
    force = sorted((int(m.group(1) or 0), i) for i, c in enumerate(cols) if (m := _FORCE.match(c)))
    raw = sorted((int(m.group(1)), i) for i, c in enumerate(cols) if (m := _RAW.match(c)))
    if force:
        unit, chosen = "N", force
    elif raw:
        unit, chosen = "count", raw
    else:
        raise FileFormatError(f"{name} has no force_n, force_n_0.. or raw_0.. column")
    return [i for _, i in chosen], unit, cols


def _parse_numbers(body: bytes, n_cols: int, used: list[int], first_line: int, name: str) -> np.ndarray:
    """The used columns as float64 (other columns may hold anything); NaN where a cell is empty."""
    out_shape = (0, n_cols)
    if not body.strip():
        return np.empty(out_shape)
    # Cells quoted as some tools write every cell ("0.01","12.5"): without the quotes they take the
    # fast path, unless a quoted text cell holds a comma, which the comma count below catches.
    unquoted = body.replace(b'"', b"") if b'"' in body else body
    try:
        picked = np.loadtxt(io.BytesIO(unquoted), delimiter=",", dtype=np.float64, ndmin=2, comments="#", usecols=used)
        # loadtxt ignores extra cells when given usecols: a comma count catches ragged rows cheaply.
        if unquoted.count(b",") == picked.shape[0] * (n_cols - 1):
            table = np.full((picked.shape[0], n_cols), np.nan)
            table[:, used] = picked
            return table
    except ValueError:
        pass
    # Slow path, only for files with gaps or a damaged line: find and name the problem.
    rows = []
    for line_no, line in _row_lines(body, first_line):
        cells = line.split(b",") if b'"' not in line else _quoted_cells(line)
        if len(cells) != n_cols:
            raise FileFormatError(f"{name}: line {line_no} has {counted(len(cells), 'value')} where the header has {n_cols}")
        row = [np.nan] * n_cols
        for col in used:
            cell = cells[col].strip()
            if not cell or cell.lower() in (b"nan", b"na", b"null"):
                continue
            try:
                row[col] = float(cell)
            except ValueError:
                text = cell[:20].decode(errors="replace")
                raise FileFormatError(f"{name}: line {line_no} has '{text}', which is not a number") from None
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(-1, n_cols)


def _row_lines(body: bytes, first_line: int) -> Iterator[tuple[int, bytes]]:
    """(the file's line number, the line stripped) for each line of ``body`` that holds a row of
    the table: blank lines and ``#`` comments hold none (as ``loadtxt`` skips them)."""
    for offset, raw_line in enumerate(body.splitlines()):
        line = raw_line.strip()
        if line and not line.startswith(b"#"):
            yield first_line + 1 + offset, line


def _line_of_row(body: bytes, header_line: int, row: int) -> int:
    """The file's line number of table row ``row``. Only an error message needs it, so the body is
    walked again then rather than indexed for every file."""
    for i, (line_no, _) in enumerate(_row_lines(body, header_line)):
        if i == row:
            return line_no
    return header_line + 1 + row  # not reached for a row the table has


def _without_cut_last_line(body: bytes, n_cols: int, used: list[int], first_line: int, name: str) -> tuple[bytes, str | None]:
    """A logger stopped mid-write leaves its last line cut short, with no line end. That line
    alone is dropped, with a warning, as a recording's cut chunk is: every whole line is kept. A
    damaged line anywhere else, or one that ends its line, is still refused where it is."""
    if not body or body.endswith((b"\n", b"\r")):
        return body, None
    start = body.rfind(b"\n") + 1
    last = body[start:].strip()
    if not last or last.startswith(b"#"):
        return body, None
    line_no = first_line + 1 + len(body[:start].splitlines())
    cut = body[:start], f"{name}: line {line_no} is cut short (the file ends inside it); ignoring that line"
    if last.endswith(b","):  # cut just after a separator: its last value was never written, not left empty
        return cut
    try:
        _parse_numbers(last, n_cols, used, line_no - 1, name)
    except FileFormatError:
        return cut
    return body, None


def _quoted_cells(line: bytes) -> list[bytes]:
    """A row with quoted cells, split by the csv module's rules (a quoted comma stays in its cell)."""
    try:
        return [c.encode() for c in next(csv.reader([line.decode("utf-8", "replace")], skipinitialspace=True))]
    except csv.Error:
        return line.split(b",")  # an unmatched quote: the row is judged (and named) as it stands


def _sample_rate_hz(t: np.ndarray, name: str) -> float:
    """The rate implied by the median time step. A column in a device clock's units is refused, not
    rescaled: read as seconds it is a stream at a fraction of a hertz, with no hold to tell. ``t``
    has two samples or more (one is refused before: it has no step)."""
    step = float(np.median(np.diff(t)))
    rate = 1.0 / step
    if rate > _MAX_RATE_HZ:
        # No roller streams this fast; the detector's windows, sized in samples at this rate, took
        # 100 GB for a step of 1e-9 s (a clock in nanoseconds divided once too often, say).
        raise FileFormatError(
            f"{name}: the time_s column steps by {step:g} s per sample, which is {rate:.3g} Hz, faster than "
            f"the {_MAX_RATE_HZ:g} Hz a roller streams at; time_s must be in seconds"
        )
    if rate >= _MIN_RATE_HZ:
        # Times in microseconds give the rate to about six figures; the digits past them are float
        # noise that can tip a window's whole number of samples (12.5000001 rounds to 13, 12.5 to 12).
        return float(f"{rate:.6g}")
    for unit, per_s in (("milliseconds", 1e3), ("microseconds", 1e6), ("nanoseconds", 1e9)):
        # A clock counts whole units: a step under one is no clock of that unit.
        if step >= 1.0 and _MIN_RATE_HZ <= rate * per_s <= _MAX_RATE_HZ:
            raise FileFormatError(
                f"{name}: the time_s column looks like {unit} (a step of {step:g} per sample is {rate:.3g} Hz "
                f"in seconds, {rate * per_s:.4g} Hz in {unit}), and time_s must be in seconds"
            )
    raise FileFormatError(
        f"{name}: the time_s column steps by {step:g} per sample: read as seconds, that is {rate:.3g} Hz, "
        f"slower than the {_MIN_RATE_HZ:g} Hz the hold detector needs"
    )


def _backwards_force(force_n: np.ndarray, name: str, col: str) -> str | None:
    """A warning when a force column reads a load only as negative, as a load cell wired backwards
    does: the detector sees no one on the roller and finds no hold. Said, never flipped: a guessed
    sign would hide the wiring fault from the next recording too."""
    # A value beyond what a roller can read is refused by the conditioner (a glitch, warned about
    # there): it says nothing about the sign a load reads with.
    readable = force_n[np.abs(force_n) <= PLAUSIBLE_FORCE_N]  # NaN drops out too
    if readable.size == 0:
        return None
    lo, hi = float(readable.min()), float(readable.max())
    if hi < -_LOAD_N and hi - lo < _LOAD_N:
        # Below zero by more than a push throughout, and steady: no tared roller reads that, loaded
        # or not, and the detector sees nobody on it. Which of the two faults it is, nothing says.
        return (
            f"{name}: column {col} reads {lo:.0f} to {hi:.0f} N in all of its {readable.size} samples, below zero "
            "throughout: the roller was probably not tared, or its load cell is wired backwards (the column "
            "is read as it is)"
        )
    # Tared, a backwards cell still reads a little above zero at rest: noise, not a push.
    # A small constant offset below zero (nobody on an untared roller) is no load read backwards: a
    # load swings the reading by a push's worth.
    if lo > -_LOAD_N or hi >= -0.1 * lo or hi - lo < _LOAD_N:
        return None
    where = (
        f"in all of its {readable.size} samples (down to {lo:.0f} N)" if hi < 0
        else f"wherever it is loaded (down to {lo:.0f} N, never above {rounded(hi, 1):.1f} N)"
    )
    return (
        f"{name}: column {col} is negative {where}: the load cell is probably wired backwards or its "
        "sign flipped (the column is read as it is, not flipped)"
    )


def _unusable_values_as_missing(table: np.ndarray, value_cols: list[int]) -> None:
    """Turn infinite sensor values into missing ones (NaN), and bring finite ones beyond float32's
    range to its edge, in place.

    An infinite cell is no reading (a division by zero); as NaN the conditioner holds the last good
    value over it and counts it with the other missing values, and an export writes an empty cell,
    never 'inf'. A number like 1e300 is a reading no roller can send: at float32's edge (it would be
    inf as float32) the conditioner holds over it all the same but says it is beyond what a roller
    can read, not that it is missing.
    """
    values = table[:, value_cols]
    infinite = np.isinf(values)
    if infinite.any():
        values[infinite] = np.nan
    with np.errstate(invalid="ignore"):
        beyond = np.abs(values) > _VALUE_MAX  # False for NaN
    if beyond.any():
        values[beyond] = np.sign(values[beyond]) * _VALUE_MAX
    if infinite.any() or beyond.any():
        table[:, value_cols] = values


def _lf_line_ends(data: bytes) -> bytes:
    """LF line ends for a file saved with a CR alone between lines (classic Mac OS, a spreadsheet's
    "CSV (Macintosh)"), which every step below, splitting on LF, read as one line ("no header row").
    CRLF stays (each line is stripped of its CR), so a large file from Windows is not copied."""
    return re.sub(rb"\r\n?", b"\n", data) if re.search(rb"\r(?!\n)", data) else data


def parse_interchange_csv(path: Path, data: bytes) -> Recording:
    name = str(path)
    data = _lf_line_ends(data)
    cols, body, header_line = _header_and_body(data, name)
    chosen, unit, cols = _column_plan(cols, name)
    used_names = {"time_s", "host_time_s"} | {cols[i] for i in chosen}
    used_names |= {f"{p}_{a}_{u}" for p, u in (("gyro", "dps"), ("accel", "g")) for a in GYRO_AXES}
    used_idx = [i for i, c in enumerate(cols) if c in used_names]
    body, cut = _without_cut_last_line(body, len(cols), used_idx, header_line, name)
    table = _parse_numbers(body, len(cols), used_idx, header_line, name)
    if table.shape[0] == 0:
        raise FileFormatError(f"{name} has a header but no samples")
    if table.shape[0] == 1:
        # The rate comes from the time step: one sample has none, and "0.0 s at 0.0 Hz" is no answer.
        raise FileFormatError(f"{name} has only one sample, and a session needs two or more to tell its sample rate")
    t = table[:, cols.index("time_s")]

    def where(i: int) -> str:
        return f"line {_line_of_row(body, header_line, i)}"

    if np.isnan(t).any():
        i = int(np.flatnonzero(np.isnan(t))[0])
        raise FileFormatError(f"{name}: {where(i)} has no time_s value (the cell is empty or not a number)")
    if np.isinf(t).any():
        i = int(np.flatnonzero(np.isinf(t))[0])
        raise FileFormatError(f"{name}: {where(i)} has time_s {t[i]}, which is not a time")
    check_monotonic(t, name, where)
    rate = _sample_rate_hz(t, name)
    sensor_cols = [i for i, c in enumerate(cols) if c in used_names and c not in ("time_s", "host_time_s")]
    _unusable_values_as_missing(table, sensor_cols)
    warnings: list[str] = [cut] if cut else []
    for i in chosen:
        if (np.isnan(table[:, i]) | (np.abs(table[:, i]) >= _VALUE_MAX)).all():
            raise FileFormatError(
                f"{name}: column {cols[i]} has no usable value in any of its {table.shape[0]} samples "
                "(all are empty, nan, infinite or out of range), so there is no force to analyse"
            )
        if unit == "N" and (backwards := _backwards_force(table[:, i], name, cols[i])):
            warnings.append(backwards)

    def axes(prefix: str, unit_name: str, what: str) -> np.ndarray | None:
        names = [f"{prefix}_{a}_{unit_name}" for a in GYRO_AXES]
        present = [n for n in names if n in cols]
        if not present:
            return None
        # Read as zeros, a missing gyro would say the roller never turned: every stop a hold.
        if len(present) < len(names):
            missing = [n for n in names if n not in cols]
            verb = "is" if len(missing) == 1 else "are"
            warnings.append(f"{name}: ignoring the {what} columns: {' and '.join(missing)} {verb} missing")
            return None
        values = table[:, [cols.index(n) for n in names]]
        if np.isnan(values).all():
            warnings.append(f"{name}: ignoring the {what} columns: they have no values")
            return None
        return values

    gyro, accel = axes("gyro", "dps", "gyro"), axes("accel", "g", "accelerometer")
    host = table[:, cols.index("host_time_s")] if "host_time_s" in cols else None
    ignored = [c for c in cols if c not in used_names and not c.startswith(("force_n", "raw_"))]
    if ignored:
        warnings.insert(0, f"{name}: ignoring columns {', '.join(ignored)}")
    channels = tuple(
        Channel(cols[i], unit, "load_cell", None) for i in chosen
    ) if len(chosen) > 1 else (Channel(cols[chosen[0]], unit, "load_cell", None),)
    info = StreamInfo(
        source=f"replay:{path}",
        device_id=f"{UNDESCRIBED_DEVICE}{path.name}",
        device_name=path.name,
        channels=channels,
        rate_hz=rate,
        has_gyro=gyro is not None,
        has_accel=accel is not None,
    )
    info, session, created_utc = read_description(path, info, warnings)
    block = SampleBlock.build(t, table[:, chosen], gyro, accel, host)
    markers = read_markers(markers_path(path), warnings)
    header: dict = {"schema": CSV_SCHEMA, "extra": session}
    if created_utc:
        header["created_utc"] = created_utc
    return Recording(path, info, block, markers, warnings, header)


def read_interchange_csv(path: str | os.PathLike[str]) -> Recording:
    from smr_sense.recording.reader import _read_bytes

    p = Path(path)
    data = _read_bytes(p)
    if not data:
        raise FileFormatError(f"{p} is empty")
    return parse_interchange_csv(p, data)

"""What a text sketch's columns mean: names to a layout (time, gyro, accelerometer, channels), and
cells to numbers. Used by ``text.TextLineDecoder``.

A column named time_s/t_s/time/t (seconds), t_ms/time_ms/millis/ms (milliseconds) or
t_us/time_us/micros/us (microseconds) gives the device time. Columns gx/gy/gz (or gyro_x ...) are the
gyro in deg/s and ax/ay/az (or accel_x ...) the accelerometer in g, when all three are there. A name
ending in ``_n`` or ``_kg`` sets that channel's unit; one containing ``fsr`` marks an FSR.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from smr_sense.core.samples import Channel

TIME_COLUMNS = {
    "time_s": 1.0, "t_s": 1.0, "time": 1.0, "t": 1.0,
    "t_ms": 1e-3, "time_ms": 1e-3, "millis": 1e-3, "ms": 1e-3,
    "t_us": 1e-6, "time_us": 1e-6, "micros": 1e-6, "us": 1e-6,
}  # fmt: skip
_GYRO = [("gx", "gyro_x", "gyrox", "gyr_x"), ("gy", "gyro_y", "gyroy", "gyr_y"), ("gz", "gyro_z", "gyroz", "gyr_z")]
_ACCEL = [("ax", "accel_x", "acc_x", "accx"), ("ay", "accel_y", "acc_y", "accy"), ("az", "accel_z", "acc_z", "accz")]
WORD = re.compile(r"^[A-Za-z_][\w.\-]*$")  # a column name, or a word of a debug print
_NO_VALUE = "ovf"  # Arduino's print of a float too large to show, besides nan and inf


@dataclass(frozen=True)
class Layout:
    names: tuple[str, ...]
    time_col: int | None
    time_scale: float  # seconds per unit of the time column
    gyro_cols: tuple[int, int, int] | None
    accel_cols: tuple[int, int, int] | None
    channel_cols: tuple[int, ...]
    named_by: str  # labels, header, columns (the user's), or position (ch0, ch1 ...: no names seen)


def _axis_cols(lower: list[str], axes: list[tuple[str, ...]]) -> tuple[int, int, int] | None:
    cols = []
    for aliases in axes:
        hit = [i for i, n in enumerate(lower) if n in aliases]
        if not hit:
            return None
        cols.append(hit[0])
    return cols[0], cols[1], cols[2]


def make_layout(names: tuple[str, ...], named_by: str) -> Layout | None:
    """The layout these names make, or None (a name twice, or no pressure channel left)."""
    lower = [n.lower() for n in names]
    time_col = next((i for i, n in enumerate(lower) if n in TIME_COLUMNS), None)
    gyro = _axis_cols(lower, _GYRO)
    accel = _axis_cols(lower, _ACCEL)
    used = {time_col} | set(gyro or ()) | set(accel or ())
    channels = tuple(i for i in range(len(names)) if i not in used)
    if not channels or len(set(names)) != len(names):
        return None
    scale = TIME_COLUMNS[lower[time_col]] if time_col is not None else 0.0
    return Layout(names, time_col, scale, gyro, accel, channels, named_by)


def columns_problem(names: tuple[str, ...]) -> str | None:
    """Why these names (a source's ``columns=``) cannot name a sketch's columns, or None."""
    if not names or any(not n for n in names):
        return "has an empty name"
    bad = next((n for n in names if not WORD.match(n)), None)
    if bad is not None:
        return f"has {bad!r}, which is no column name (letters, digits, _ . or -, beginning with a letter)"
    if len(set(names)) != len(names):
        return "names a column twice"
    if make_layout(names, "columns") is None:
        return "has no pressure channel, only time, gyro or accelerometer columns"
    return None


def channel(name: str, default_unit: str) -> Channel:
    lower = name.lower()
    unit = "N" if lower.endswith("_n") else "kg" if lower.endswith("_kg") else default_unit
    return Channel(name=name, unit=unit, sensor="fsr" if "fsr" in lower else "load_cell")


def time_fits(layout: Layout, values: list[float]) -> bool:
    """A time stamp must fit the integer ticks it is unwrapped in (a garbled 1e308, or nan, does not)."""
    if layout.time_col is None:
        return True
    tick_s = layout.time_scale if layout.time_scale < 1.0 else 1e-6
    return abs(values[layout.time_col] * layout.time_scale / tick_s) < 2.0**52


def parse_number(token: str) -> float | None:
    """A number; NaN for a value the sketch printed as missing (nan, inf, ovf); None for anything else."""
    try:
        value = float(token)
    except ValueError:
        return math.nan if token.lower() == _NO_VALUE else None
    return value if math.isfinite(value) else math.nan


def separator_of(line: str) -> frozenset[str]:
    """What separates a line's fields: its commas, tabs and semicolons, or a space when it has none."""
    marks = frozenset(c for c in ",\t;" if c in line)
    return marks or (frozenset(" ") if " " in line else frozenset())

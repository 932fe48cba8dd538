"""The sensor's geometry in an interchange CSV's comments: where each channel sits on the plate, and
the roller's radius.

A plate's centre of pressure and a gyro's tissue speed need them, and a CSV's columns cannot say
them, so ``export`` writes them as comment lines above the header (any logger may write them too)::

    # position_m force_n_0 = 0.1200, 0.0500
    # roller_radius_m = 0.0600

Without them a plate is analysed from force fluctuation alone and a gyro with the default radius,
which finds other holds than the recording it came from. A line of this shape with a value that is
not a position or a radius is named in a warning and ignored; any other comment is a comment.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from smr_sense.core.samples import StreamInfo

_POSITION = re.compile(r"#\s*position_m\s+(\w+)\s*=\s*(.*)$")
_RADIUS = re.compile(r"#\s*roller_radius_m\s*=\s*(.*)$")
_MAX_M = 5.0  # no plate or roller is metres across: a larger value is another unit


def geometry_comments(info: StreamInfo, column_names: list[str]) -> list[str]:
    """Comment lines for ``info``'s geometry, the channels under their CSV ``column_names``."""
    lines = [
        f"# position_m {column} = {c.position_m[0]:.4f}, {c.position_m[1]:.4f}"
        for column, c in zip(column_names, info.channels, strict=True)
        if c.position_m is not None
    ]
    if info.roller_radius_m is not None:
        lines.append(f"# roller_radius_m = {info.roller_radius_m:.4f}")
    return lines


def _metres(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= _MAX_M else None


def with_geometry(info: StreamInfo, comments: list[str], name: str, warnings: list[str]) -> StreamInfo:
    """``info`` with the positions and radius the CSV's ``comments`` give (channels by column name)."""
    positions: dict[str, tuple[float, float]] = {}
    radius_m = info.roller_radius_m
    for line in comments:
        if m := _POSITION.match(line):
            xy = [_metres(v) for v in m.group(2).split(",")]
            if len(xy) != 2 or None in xy:
                warnings.append(f"{name}: ignoring '{line}': a position is x, y in metres")
                continue
            positions[m.group(1).lower()] = (xy[0], xy[1])  # type: ignore[assignment]
        elif m := _RADIUS.match(line):
            value = _metres(m.group(1))
            if value is None or value <= 0:
                warnings.append(f"{name}: ignoring '{line}': a roller radius is a length in metres above zero")
                continue
            radius_m = value
    unknown = sorted(set(positions) - {c.name for c in info.channels})
    if unknown:
        warnings.append(f"{name}: ignoring the position of {', '.join(unknown)}: no such force column")
    channels = tuple(replace(c, position_m=positions.get(c.name, c.position_m)) for c in info.channels)
    return replace(info, channels=channels, roller_radius_m=radius_m)

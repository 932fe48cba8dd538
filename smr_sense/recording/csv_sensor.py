"""What an interchange CSV's comments say about the sensor that its columns cannot: its nominal
sample rate, each raw channel's own name, where each channel sits on a plate, and the roller's radius.

A calibration names the device's channels ("load"), not the CSV's columns ("raw_0"); a plate's
centre of pressure and a gyro's tissue speed need the geometry. So ``export`` writes them as comment
lines above the header (any logger may write them too)::

    # rate_hz = 100
    # channel raw_0 = load
    # position_m force_n_0 = 0.1200, 0.0500
    # roller_radius_m = 0.0600

The detector's windows are whole samples at the nominal rate, so a rate estimated from the time
steps (what a CSV without the comment gets) can make a window one sample longer than the recording's.
Without the others a raw-count CSV cannot take its recording's calibration (a wizard's, a device
profile), a plate is analysed from force fluctuation alone and a gyro with the default radius. A
line of this shape with a value that is not a name, a position or a radius is named in a warning and
ignored; any other comment is a comment.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from smr_sense.core.samples import StreamInfo

_RATE = re.compile(r"#\s*rate_hz\s*=\s*(.*)$")
_RATE_SLACK = 0.2  # a nominal rate this far from the time steps' is another device's, or a typo
_CHANNEL = re.compile(r"#\s*channel\s+(\w+)\s*=\s*(.*)$")
_POSITION = re.compile(r"#\s*position_m\s+(\w+)\s*=\s*(.*)$")
_RADIUS = re.compile(r"#\s*roller_radius_m\s*=\s*(.*)$")
_MAX_M = 5.0  # no plate or roller is metres across: a larger value is another unit


def sensor_comments(info: StreamInfo, column_names: list[str], raw_names: list[str]) -> list[str]:
    """Comment lines for ``info``'s sensor: the channels under their CSV ``column_names`` (the
    columns read as the channels), and ``raw_names`` for raw-count columns, by the channel's own name."""
    lines = [f"# rate_hz = {info.rate_hz:.10g}"]
    lines += [f"# channel {column} = {c.name}" for column, c in zip(raw_names, info.channels) if column != c.name]
    lines += [
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


def with_sensor(info: StreamInfo, comments: list[str], name: str, warnings: list[str]) -> StreamInfo:
    """``info`` with the names, positions and radius the CSV's ``comments`` give (channels by column
    name; a name applies to a raw-count channel, the one a calibration converts)."""
    names: dict[str, str] = {}
    positions: dict[str, tuple[float, float]] = {}
    radius_m = info.roller_radius_m
    rate_hz = info.rate_hz  # estimated from the time steps
    for line in comments:
        if m := _RATE.match(line):
            try:
                nominal = float(m.group(1))
            except ValueError:
                nominal = math.nan
            if not abs(nominal - info.rate_hz) <= _RATE_SLACK * info.rate_hz:
                warnings.append(
                    f"{name}: ignoring '{line}': its time steps say {info.rate_hz:.4g} Hz"
                )
                continue
            rate_hz = nominal
        elif m := _CHANNEL.match(line):
            own = m.group(2).strip()
            if not re.fullmatch(r"[\w.\-]{1,64}", own):
                warnings.append(f"{name}: ignoring '{line}': a channel's name is one word")
                continue
            names[m.group(1).lower()] = own
        elif m := _POSITION.match(line):
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
    channels = tuple(
        replace(
            c,
            name=names.get(c.name, c.name) if c.unit == "count" else c.name,
            position_m=positions.get(c.name, c.position_m),
        )
        for c in info.channels
    )
    if len({c.name for c in channels}) < len(channels):
        warnings.append(f"{name}: ignoring the channel names in its comments: two channels would share one")
        channels = tuple(replace(c, name=old.name) for c, old in zip(channels, info.channels, strict=True))
    return replace(info, channels=channels, roller_radius_m=radius_m, rate_hz=rate_hz)

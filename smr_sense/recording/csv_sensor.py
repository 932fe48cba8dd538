"""What an interchange CSV's columns cannot say, beside it in ``NAME.stream.json``: the device, its
nominal sample rate, each channel's own name and where it sits on a plate, the roller's radius, and
the session's body weight and ceiling.

``export`` writes it so that ``analyze`` finds the same holds, forces and ceiling events in the CSV
as in its recording: a calibration names the device's channels ("load"), not the CSV's columns
("raw_0"); the detector's windows are whole samples at the nominal rate (a rate estimated from the
time steps can make one a sample longer); a plate's centre of pressure and a gyro's tissue speed
need the geometry; a ceiling in % of body weight needs the weight. The CSV itself stays plain, with
its header on the first line, for a spreadsheet or ``pandas.read_csv``. Any logger may write the
file too::

    {"rate_hz": 100, "roller_radius_m": 0.065,
     "channels": [{"column": "force_n_0", "name": "front_left", "position_m": [0.25, 0.15]}, ...],
     "session": {"body_mass_kg": 72}, "created_utc": "2026-11-24T08:15:00+00:00"}

Every key is optional. A value that is not plausible is named in a warning and ignored; a file that
is not such JSON at all costs only itself (one warning), as a damaged markers file does.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from smr_sense.core.samples import StreamInfo
from smr_sense.core.settings import BODY_MASS_RANGE_KG

KEYS = {"device_id", "device_name", "rate_hz", "roller_radius_m", "channels", "session", "stream", "created_utc"}

RATE_SLACK = 0.2  # a nominal rate this far from the time steps' belongs to another file, or is a typo
RADIUS_M = (0.01, 0.3)  # rollers are 2-60 cm across: 4.5 "m" is centimetres typed as metres
PLATE_M = 1.0  # a load cell further than this from the plate's centre is another unit
NAME_CHARS = 64


def stream_path(csv_path: Path) -> Path:
    """Where an export describes a CSV's stream: beside it."""
    return csv_path.with_name(csv_path.stem + ".stream.json")


def describe(
    info: StreamInfo, columns: list[str], session: dict[str, Any], created_utc: str | None = None
) -> dict[str, Any]:
    """The sidecar's content for ``info``, its channels read from ``columns``; ``session``: the
    recording's own settings (its header's extra: body weight, ceiling); ``created_utc``: when it
    was recorded, so a replay of the CSV is dated as the recording's is."""
    channels = []
    for column, c in zip(columns, info.channels, strict=True):
        entry: dict[str, Any] = {"column": column, "name": c.name}
        if c.position_m is not None:
            entry["position_m"] = [round(float(v), 6) for v in c.position_m]
        channels.append(entry)
    out: dict[str, Any] = {
        "device_id": info.device_id,
        "device_name": info.device_name,
        "rate_hz": info.rate_hz,
        "channels": channels,
    }
    if info.roller_radius_m is not None:
        out["roller_radius_m"] = info.roller_radius_m
    if session:
        out["session"] = session
    if info.extra:
        out["stream"] = info.extra
    if created_utc:
        out["created_utc"] = created_utc
    return out


def write_description(path: Path, description: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(description, fh, indent=1)
        fh.write("\n")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and 0 < len(value.strip()) <= NAME_CHARS else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def read_description(
    csv_path: Path, info: StreamInfo, warnings: list[str]
) -> tuple[StreamInfo, dict[str, Any], str | None]:
    """``info`` as the CSV's sidecar describes it, the session settings it notes ({} without one),
    and when it was recorded (an ISO date-time in UTC, or None)."""
    path = stream_path(csv_path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return info, {}, None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        why = getattr(err, "strerror", None) or ("it is not JSON" if isinstance(err, ValueError) else err)
        warnings.append(f"ignoring {path}: {why}")
        return info, {}, None
    if not isinstance(obj, dict):
        warnings.append(f"ignoring {path}: it is not a JSON object")
        return info, {}, None

    def bad(what: str) -> None:
        warnings.append(f"ignoring {path}'s {what}")

    for key in sorted(set(obj) - KEYS):
        bad(f"key {key!r}: it takes {', '.join(sorted(KEYS))}")  # a typo ("sesion") would pass unseen
    changes: dict[str, Any] = {}
    for key in ("device_id", "device_name"):
        if key in obj:
            text = _text(obj[key])
            if text is None:
                bad(f"{key}: not a name")
            else:
                changes[key] = text
    if "rate_hz" in obj:
        rate = _number(obj["rate_hz"])
        if rate is None:
            bad(f"rate_hz {obj['rate_hz']!r}: not a number")
        elif abs(rate - info.rate_hz) <= RATE_SLACK * info.rate_hz:
            changes["rate_hz"] = rate
        else:
            bad(f"rate_hz {obj['rate_hz']!r}: the time steps say {info.rate_hz:.4g} Hz")
    if "roller_radius_m" in obj:
        radius = _number(obj["roller_radius_m"])
        if radius is not None and RADIUS_M[0] <= radius <= RADIUS_M[1]:
            changes["roller_radius_m"] = radius
        else:
            bad(f"roller_radius_m {obj['roller_radius_m']!r}: a roller's radius is {RADIUS_M[0]}-{RADIUS_M[1]} m")
    if "channels" in obj:
        changes["channels"] = _channels(obj["channels"], info, bad)
    stream = _settings(obj, "stream", bad)
    if stream:
        changes["extra"] = {**info.extra, **stream}
    return replace(info, **changes), _settings(obj, "session", bad), _created_utc(obj, bad)


def _created_utc(obj: dict[str, Any], bad) -> str | None:
    if "created_utc" not in obj:
        return None
    try:
        when = _dt.datetime.fromisoformat(obj["created_utc"])
    except (TypeError, ValueError):
        bad(f"created_utc {obj['created_utc']!r}: not a date and time such as 2026-11-24T08:15:00+00:00")
        return None
    if when.tzinfo is None:  # the key says UTC: a logger that left the zone out meant it
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.isoformat(timespec="seconds")


def _settings(obj: dict[str, Any], key: str, bad) -> dict[str, Any]:
    """The session's (or the device's) settings, with a body weight and a ceiling the user could
    have typed: a ceiling in % of a mistyped weight would silence the alarm, or ring it always."""
    settings = obj.get(key, {})
    if not isinstance(settings, dict):
        bad(f"{key}: not a JSON object")
        return {}
    settings = dict(settings)
    mass = settings.get("body_mass_kg")
    if "body_mass_kg" in settings and not (
        (kg := _number(mass)) is not None and BODY_MASS_RANGE_KG[0] <= kg <= BODY_MASS_RANGE_KG[1]
    ):
        low, high = BODY_MASS_RANGE_KG
        bad(f"{key} body_mass_kg {mass!r}: a body weight is {low:g}-{high:g} kg")
        del settings["body_mass_kg"]
    if "ceiling_n" in settings and settings["ceiling_n"] is not None and not (_number(settings["ceiling_n"]) or 0) > 0:
        bad(f"{key} ceiling_n {settings['ceiling_n']!r}: a ceiling is a force above zero, in newtons")
        del settings["ceiling_n"]
    return settings


def _channels(entries: Any, info: StreamInfo, bad) -> tuple:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        bad("channels: not a list of objects")
        return info.channels
    by_column = {str(e.get("column", "")).strip().lower(): e for e in entries}
    unknown = sorted(set(by_column) - {c.name for c in info.channels})
    if unknown:
        bad(f"channels {', '.join(unknown)}: the CSV reads no such column")
    channels = []
    for c in info.channels:
        e = by_column.get(c.name)
        if e is None:
            channels.append(c)
            continue
        name = c.name
        if "name" in e:
            # The channel's own name: the one a raw channel's calibration uses.
            own = _text(e["name"])
            if own is None:
                bad(f"name for {c.name}: not a name")
            else:
                name = own
        position = c.position_m
        if "position_m" in e:
            xy = e["position_m"]
            xy = [_number(v) for v in xy] if isinstance(xy, list) else []
            if len(xy) == 2 and all(v is not None and abs(v) <= PLATE_M for v in xy):
                position = (xy[0], xy[1])
            else:
                bad(f"position_m for {c.name}: a position is [x, y], within {PLATE_M:g} m of the plate's centre")
        channels.append(replace(c, name=name, position_m=position))
    if len({c.name for c in channels}) < len(channels):
        bad("channel names: two channels would share one")
        channels = [replace(c, name=old.name) for c, old in zip(channels, info.channels, strict=True)]
    return tuple(channels)

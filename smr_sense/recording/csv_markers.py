"""A CSV's markers (muscle groups, link gaps, calibrations), in ``NAME.markers.csv`` beside it:
``time_s,kind,data`` with ``data`` a JSON object, as ``export`` writes them (``recording.csv_export``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from smr_sense.core.samples import Marker


def markers_path(csv_path: Path) -> Path:
    """Where an export puts a CSV's markers (muscle groups, link gaps, calibrations): beside it."""
    return csv_path.with_name(csv_path.stem + ".markers.csv")


def read_markers(path: Path, warnings: list[str]) -> list[Marker]:
    """The markers an export wrote beside a CSV, so a replay or analysis of the CSV sees the same
    muscle groups and calibrations as of the recording. A damaged markers file costs only itself."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        warnings.append(f"ignoring {path}: it cannot be read ({getattr(err, 'strerror', None) or err})")
        return []
    rows = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(rows, [])]
    if header != ["time_s", "kind", "data"]:
        warnings.append(f"ignoring {path}: its header is not time_s,kind,data")
        return []
    markers = []
    for line_no, row in enumerate(rows, start=2):
        if not row or row[0].startswith("#"):
            continue
        try:
            t_s, kind, data = float(row[0]), row[1].strip(), json.loads(row[2]) if len(row) > 2 else {}
            if len(row) > 3 or not kind or not isinstance(data, dict) or not np.isfinite(t_s):
                raise ValueError
        except (ValueError, IndexError):
            warnings.append(f"ignoring {path}: line {line_no} is not a time, a kind and JSON data")
            return []
        markers.append(Marker(t_s, kind, data))
    return sorted(markers, key=lambda m: m.t_s)

"""Load a whole recording or interchange CSV into memory, with every problem as one sentence."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.errors import FileFormatError
from smr_sense.recording import format as fmt


@dataclass
class Recording:
    """A session in memory: what it is, its samples, its markers, and what was wrong with the file."""

    path: Path
    info: StreamInfo
    block: SampleBlock
    markers: list[Marker] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    truth: list[dict[str, Any]] | None = None

    @property
    def duration_s(self) -> float:
        return float(self.block.t_s[-1] - self.block.t_s[0]) if len(self.block) > 1 else 0.0

    def with_calibration(self, calibration: dict[str, Any] | None) -> Recording:
        """The same session under another calibration (recalibrating an old session)."""
        return replace(self, info=self.info.with_calibration(calibration))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path} is a directory, not a recording") from None
    except PermissionError:
        raise FileFormatError(f"{path} cannot be read (permission denied)") from None
    except OSError as err:
        raise FileFormatError(f"{path} cannot be read: {err.strerror}") from None


def load_recording(path: str | os.PathLike[str], data: bytes | None = None) -> Recording:
    path = Path(path)
    data = _read_bytes(path) if data is None else data
    dec = fmt.decode(data, name=str(path))
    warnings = []
    if dec.torn_bytes:
        warnings.append(
            f"{path}: the last {dec.torn_bytes} bytes were cut off (the recorder stopped mid-write); "
            f"replaying the {len(dec.rows)} samples before them"
        )
    elif not dec.closed_cleanly:
        warnings.append(f"{path}: the recording was not closed cleanly; replaying all {len(dec.rows)} samples it holds")
    block = fmt.rows_to_block(dec.rows, dec.info)
    truth = _load_truth(path)
    return Recording(path, dec.info, block, dec.markers, warnings, dec.header, truth)


def truth_path(path: Path) -> Path:
    """Where the simulator puts a recording's ground truth: beside it, ``NAME.truth.json``."""
    return path.with_name(path.name + ".truth.json")


def _load_truth(path: Path) -> list[dict[str, Any]] | None:
    tp = truth_path(path)
    if not tp.exists():
        return None
    try:
        obj = json.loads(tp.read_text())
        return list(obj["segments"])
    except (ValueError, KeyError, TypeError, OSError):
        return None


def load_any(path: str | os.PathLike[str]) -> Recording:
    """A recording (``.smr``) or an interchange CSV, told apart by content, not by name."""
    path = Path(path)
    data = _read_bytes(path)
    if not data:
        raise FileFormatError(f"{path} is empty")
    if data.startswith(fmt.MAGIC):
        return load_recording(path, data)
    if data[:1] == b"\x89" or b"\x00" in data[:4096]:
        raise FileFormatError(f"{path} is neither an smr-sense recording nor a CSV file")
    from smr_sense.recording.csvio import parse_interchange_csv

    return parse_interchange_csv(path, data)


def check_monotonic(t_s: np.ndarray, name: str) -> None:
    """Time must go forward: a replay of shuffled samples would be a silent wrong answer."""
    if len(t_s) > 1:
        d = np.diff(t_s)
        bad = np.flatnonzero(~(d > 0))
        if bad.size:
            i = int(bad[0])
            what = "repeats" if d[i] == 0 else "goes backwards" if d[i] < 0 else "is not a number"
            raise FileFormatError(f"{name}: time {what} at sample {i + 2} (t = {t_s[i + 1]!r} s after {t_s[i]!r} s)")

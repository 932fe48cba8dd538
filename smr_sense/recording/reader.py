"""Load a whole recording or interchange CSV into memory, with every problem as one sentence."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from smr_sense.core.pipeline import without_saved_calibration
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.errors import FileFormatError
from smr_sense.recording import format as fmt
from smr_sense.recording.lock import being_recorded
from smr_sense.recording.header import looks_like_recording


CSV_SCHEMA = "interchange-csv"  # the header a Recording read from a CSV gets


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

    @property
    def from_csv(self) -> bool:
        """Read from an interchange CSV (which brings its .stream.json and .markers.csv along)."""
        return self.header.get("schema") == CSV_SCHEMA

    def with_calibration(self, calibration: dict[str, Any] | None) -> Recording:
        """The same session under another calibration from its start; a calibration saved in the
        dashboard's wizard still takes over where it was saved."""
        return replace(self, info=self.info.with_calibration(calibration))

    def recalibrated(self, calibration: dict[str, Any]) -> Recording:
        """The whole session under ``calibration`` (recalibrating an old session): the wizard's own
        calibrations in it are set aside, so the one asked for reaches the end of the file."""
        markers = [without_saved_calibration(m) for m in self.markers]
        return replace(self, info=self.info.with_calibration(calibration), markers=markers)

    def first_after(self, marker: Marker) -> int:
        """Index of the first sample after ``marker``: samples at its time came before it, as
        ``interleave`` sends them live."""
        return int(np.searchsorted(self.block.t_s, marker.t_s, "right"))


def _the_samples(n: int) -> str:
    return "the one sample" if n == 1 else f"the {n} samples"


def _read_bytes(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        # A device never ends (/dev/zero) or waits on a person (/dev/tty): reading it would hang. A pipe
        # is let through, so `analyze <(zcat x.csv.gz)` works, and ends when its writer does, as with cat.
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            raise FileFormatError(f"{path} is a device, not a recording or a CSV file")
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
    warnings = _header_warnings(path, dec) + _damage_warnings(path, dec)
    if dec.torn_bytes and dec.tail_complete:
        warnings.append(
            f"{path}: the last {dec.torn_bytes} bytes are damaged (they fail their checksum); "
            f"reading {_the_samples(len(dec.rows))} before them"
        )
    elif dec.torn_bytes:
        warnings.append(
            # Only the torn chunk's bytes are known: how much of the file is missing after it is not.
            f"{path} ends part-way through a chunk (the recorder stopped mid-write, or the file was cut off); "
            f"its last {dec.torn_bytes} bytes cannot be read; reading {_the_samples(len(dec.rows))} before them"
        )
    elif not dec.closed_cleanly and being_recorded(path):
        # Not a crash: a recorder is still writing it (a replay of it covers only its start).
        warnings.append(f"{path} is still being recorded; reading {_the_samples(len(dec.rows))} written so far")
    elif not dec.closed_cleanly:
        warnings.append(f"{path}: the recording was not closed cleanly; reading {_the_samples(len(dec.rows))} it holds")
    block = fmt.rows_to_block(dec.rows, dec.info)
    warnings += _dead_channel_warnings(path, dec.info, block)
    truth = _load_truth(path)
    return Recording(path, dec.info, block, dec.markers, warnings, dec.header, truth)


def _dead_channel_warnings(path: Path, info: StreamInfo, block: SampleBlock) -> list[str]:
    """A channel with no usable value in the whole recording: refused when it is every channel (there
    is no force at all), a warning otherwise (one unplugged load cell should not hide the others)."""
    if len(block) == 0:
        return []
    dead = [c.name for c, alive in zip(info.channels, np.isfinite(block.raw).any(axis=0)) if not alive]
    if len(dead) == len(info.channels):
        raise FileFormatError(
            f"{path} holds {len(block)} samples but no usable force value on any channel (all are NaN or infinite)"
        )
    return [
        f"{path}: channel '{name}' has no usable value in the whole recording, so it reads as zero" for name in dead
    ]


def _header_warnings(path: Path, dec: fmt.Decoded) -> list[str]:
    """One sentence per thing wrong with a header that could still be read: what, and what it cost."""
    d = dec.header_damage
    if d is None:
        return []
    out = []
    if d.signature:
        whole = not d.untrusted and d.flipped_bit_at is None
        why = "the header after it passes its checksum" if whole else "the chunks after it pass their checksums"
        out.append(f"{path}: its recording signature (bytes 0 to 8) is damaged, but {why}, so it is read as a recording")
    if d.length and d.end_by_checksum:
        out.append(
            f"{path}: its header's length (bytes 8 to 12) is damaged; the header was found whole by its "
            "checksum and repaired, so nothing is lost"
        )
    elif d.length:
        out.append(
            f"{path}: its header's length (bytes 8 to 12) is damaged; the header was taken to end where the "
            f"first intact chunk begins (byte {d.header_end})"
        )
    if d.flipped_bit_at is not None and d.in_checksum:
        out.append(
            f"{path}: one bit of its header's checksum (byte {d.flipped_bit_at}) is flipped; the header itself "
            "is whole, so nothing is lost"
        )
    elif d.flipped_bit_at is not None:
        out.append(
            f"{path}: one bit of its header (byte {d.flipped_bit_at}) is flipped; the header's checksum pinpoints "
            "it, so it was set right and nothing is lost"
        )
    if d.untrusted:
        out.append(_untrusted_warning(path, dec))
    return out


def _untrusted_warning(path: Path, dec: fmt.Decoded) -> str:
    """What is read from a header that fails its checksum, what is left out, and how to make up for it."""
    damage = dec.header_damage
    rate = f"{dec.info.rate_hz:g} Hz{', from their times' if damage.rate_from_times else ''}"
    if dec.info.sends_counts:
        # The calibration is the number that most changes the answer: say how to give it.
        then = (
            f"{_the_samples(len(dec.rows))} are read as if no calibration had been recorded (raw counts): give one "
            "with --calibration FILE, or --calibration profile for the device's saved one"
        )
    else:
        then = f"reading {_the_samples(len(dec.rows))}, whose channels are in N or kg and need no calibration"
    return (
        f"{path}: its header fails its checksum (damage in bytes {len(fmt.MAGIC) + 4} to {damage.header_end}), "
        f"so only what the samples confirm is used: their columns and rate ({rate}); its calibration, sensor "
        "positions, roller radius, session settings (hold cap, ceiling, body weight) and date are left out, as one "
        f"damaged digit in them would be a wrong answer; {then}"
    )


# More damaged stretches than this are summed up in one warning rather than listed one by one.
_DAMAGE_LISTED = 3


def _damage_warnings(path: Path, dec: fmt.Decoded) -> list[str]:
    """One sentence per damaged stretch skipped in the middle: where, and which span of time is gone."""
    if not dec.damage:
        return []
    t = dec.rows["t_s"]
    rate_hz = dec.info.rate_hz
    kept = len(t)
    if kept == 0:
        raise FileFormatError(
            f"{path} is damaged: bytes {dec.damage[0].offset} to {dec.damage[-1].offset + dec.damage[-1].length} "
            "fail their checksums and no intact samples remain"
        )
    # The clean-end chunk states how many samples were written: with one damaged stretch, the loss is exact.
    exact = dec.end_samples - kept if dec.end_samples is not None and len(dec.damage) == 1 else None

    def lost(d: fmt.Damage) -> tuple[int, str]:
        """(about how many samples were lost, the time span they covered) for one stretch."""
        before = float(t[d.rows_before - 1]) if d.rows_before > 0 else None
        after = float(t[d.rows_before]) if d.rows_before < kept else None
        if before is not None and after is not None:
            # The samples between two kept ones, at the nominal rate (a link gap there would also count).
            n = exact if exact is not None else max(0, round((after - before) * rate_hz) - 1)
            return n, f"between t = {before:.2f} s and {after:.2f} s"
        if after is not None:
            return (exact if exact is not None else -1), f"before t = {after:.2f} s"
        return (exact if exact is not None else -1), f"after t = {before:.2f} s"

    if len(dec.damage) <= _DAMAGE_LISTED:
        out = []
        for d in dec.damage:
            n, span = lost(d)
            what = (
                "they held no samples (at most a marker)" if n == 0
                else f"losing the samples {span}" if n < 0
                else f"losing {'' if exact is not None else 'about '}{n} samples {span}"
            )
            out.append(
                f"{path}: bytes {d.offset} to {d.offset + d.length} are damaged (checksum mismatch) and were "
                f"skipped, {what}; keeping the other {kept} samples"
            )
        return out
    spans = [lost(d) for d in dec.damage]
    total = sum(n for n, _ in spans if n > 0)
    first, last = dec.damage[0], dec.damage[-1]
    return [
        f"{path}: {len(dec.damage)} damaged stretches ({sum(d.length for d in dec.damage)} bytes between byte "
        f"{first.offset} and byte {last.offset + last.length}) fail their checksums and were skipped, losing about "
        f"{total} samples (the first {spans[0][1]}); keeping the other {kept} samples"
    ]


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
    if looks_like_recording(data):  # its signature or, when that is damaged, a header or chunks that check out
        return load_recording(path, data)
    if data[:1] == b"\x89" or b"\x00" in data[:4096]:
        raise FileFormatError(f"{path} is neither an smr-sense recording nor a CSV file")
    if path.suffix.lower() == ".smr" and b"time_s" not in data[:4096]:  # named a recording, and not a CSV either
        raise FileFormatError(f"{path} is not an smr-sense recording (it does not start with the recording signature)")
    from smr_sense.recording.csvio import parse_interchange_csv

    return parse_interchange_csv(path, data)


def check_monotonic(t_s: np.ndarray, name: str, where=lambda i: f"sample {i + 1}") -> None:
    """Time must go forward: a replay of shuffled samples would be a silent wrong answer.
    ``where(i)`` names sample ``i`` for the message (a CSV names its line, which an editor shows)."""
    if len(t_s) > 1:
        d = np.diff(t_s)
        bad = np.flatnonzero(~(d > 0))
        if bad.size:
            i = int(bad[0])
            what = "repeats" if d[i] == 0 else "goes backwards" if d[i] < 0 else "is not a number"
            raise FileFormatError(f"{name}: time {what} at {where(i + 1)} (t = {float(t_s[i + 1])!r} s after {float(t_s[i])!r} s)")

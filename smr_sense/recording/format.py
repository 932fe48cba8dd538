"""The recording file format (``.smr``), as bytes. No file handling here: see writer and reader.

Layout (all integers little-endian)::

    magic      8 bytes   b"\\x89SMR\\r\\n\\x1a\\n"   (PNG-style: catches text-mode mangling)
    header     u32 length, JSON (UTF-8), u32 CRC-32 of the JSON
    chunk*     u8 tag, u32 payload length, payload, u32 CRC-32 of tag + length + payload

Chunk tags: ``D`` samples (rows of the header's ``columns`` as a packed numpy record array),
``M`` a marker (JSON), ``E`` a clean end (JSON with sample count and last time).
Chunks are appended as samples arrive. A crash leaves at most one torn chunk at the end, which the
reader drops with a warning; a missing ``E`` chunk means the recorder did not close cleanly.
Damage in the middle (a disk or copy error) is skipped: the reader scans forward for the next byte
offset that parses as a whole chunk with a plausible tag and length and a matching CRC-32 (a false
match is about one in four billion per candidate), and keeps everything from there on.

A damaged header loses no sample either (header.py reads it). A wrong length is found again by the
checksum: the JSON ends at the '}' after which the next four bytes are its CRC-32. A damaged
signature is read past only when the header after it passes its checksum and names this schema, or
intact chunks follow it, which no other file's bytes do (one in four billion). A JSON that fails
its checksum is set right when one flipped bit explains the mismatch (crc_repair: certain for
headers up to 11 kB). Otherwise it is untrusted and read only for what the samples confirm: the row
layout, from the stream's channels and sensors (every intact sample chunk must hold whole rows, and
the times must run forward), the rate (the times' own when the two disagree), and names; the
calibration, sensor positions, roller radius, the stream's notes, the session's settings and the
date are left out, since one damaged digit there would be a wrong answer given as right. When one
damaged byte would explain the mismatch it is set back first, so that the JSON still parses. A
header that cannot be read at all, or whose layout does not fit the samples, is refused, saying how
many intact chunks of samples the file holds.

Binary rows keep float32 sensor values bit for bit and load an hour at 200 Hz in milliseconds;
``smr-sense export`` writes the spreadsheet-friendly interchange CSV.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smr_sense.core.samples import GYRO_AXES, Marker, SampleBlock, StreamInfo
from smr_sense.errors import FileFormatError

MAGIC = b"\x89SMR\r\n\x1a\n"
SCHEMA = "smr-sense-recording"
SCHEMA_VERSION = 1
TAG_DATA = b"D"
TAG_MARKER = b"M"
TAG_END = b"E"
_CHUNK_HEAD = struct.Struct("<cI")
_U32 = struct.Struct("<I")
MAX_HEADER_BYTES = 1 << 20


def row_dtype(info: StreamInfo) -> np.dtype:
    """The packed row layout for a stream: times as float64, sensor values as float32."""
    fields: list[tuple[str, str]] = [("t_s", "<f8"), ("host_t_s", "<f8")]
    fields += [(f"raw_{i}", "<f4") for i in range(info.n_channels)]
    if info.has_gyro:
        fields += [(f"gyro_{a}_dps", "<f4") for a in GYRO_AXES]
    if info.has_accel:
        fields += [(f"accel_{a}_g", "<f4") for a in GYRO_AXES]
    return np.dtype(fields)


@dataclass
class Header:
    info: StreamInfo
    created_utc: str
    app_version: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        dtype = row_dtype(self.info)
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "created_utc": self.created_utc,
            "app_version": self.app_version,
            "stream": self.info.to_json(),
            "columns": [{"name": n, "dtype": dtype[n].str} for n in dtype.names or ()],
            "extra": self.extra,
        }


def encode_header(header: Header) -> bytes:
    body = json.dumps(header.to_json(), separators=(",", ":")).encode()
    return MAGIC + _U32.pack(len(body)) + body + _U32.pack(zlib.crc32(body))


def encode_chunk(tag: bytes, payload: bytes) -> bytes:
    head = _CHUNK_HEAD.pack(tag, len(payload))
    return head + payload + _U32.pack(zlib.crc32(payload, zlib.crc32(head)))


def encode_samples(block: SampleBlock, dtype: np.dtype) -> bytes:
    rows = np.empty(len(block), dtype=dtype)
    rows["t_s"] = block.t_s
    rows["host_t_s"] = block.host_t_s if block.host_t_s is not None else np.nan
    for i in range(block.n_channels):
        rows[f"raw_{i}"] = block.raw[:, i]
    names = dtype.names or ()
    for prefix, arr, unit in (("gyro", block.gyro_dps, "dps"), ("accel", block.accel_g, "g")):
        if f"{prefix}_x_{unit}" in names:
            for j, a in enumerate(GYRO_AXES):
                rows[f"{prefix}_{a}_{unit}"] = arr[:, j] if arr is not None else np.nan
    return encode_chunk(TAG_DATA, rows.tobytes())


def encode_marker(marker: Marker) -> bytes:
    return encode_chunk(TAG_MARKER, json.dumps(marker.to_json(), separators=(",", ":")).encode())


def encode_end(samples: int, last_t_s: float | None) -> bytes:
    return encode_chunk(TAG_END, json.dumps({"samples": samples, "last_t_s": last_t_s}).encode())


@dataclass
class Damage:
    """A stretch of bytes the reader skipped because it did not parse as intact chunks."""

    offset: int  # where the first bad chunk starts, in bytes from the start of the file
    length: int  # bytes skipped up to the next intact chunk
    rows_before: int  # samples read before the damage: the index of the first sample after it


@dataclass
class Decoded:
    header: dict[str, Any]
    info: StreamInfo
    rows: np.ndarray
    markers: list[Marker]
    closed_cleanly: bool
    torn_bytes: int  # bytes at the end that hold no intact chunk (0 when the file ends cleanly)
    tail_complete: bool = False  # the bad tail has the length its chunk declares: damaged, not cut off
    damage: list[Damage] = field(default_factory=list)
    end_samples: int | None = None  # the sample count the clean-end chunk states, when there is one
    header_damage: HeaderDamage | None = None  # what was wrong with the header, when it could still be read


_CHUNK_START = re.compile(b"[DME]")


def chunk_at(data: bytes, pos: int, itemsize: int) -> int | None:
    """Where the chunk at ``pos`` ends (after its CRC) if one intact chunk starts there, else None."""
    end = len(data)
    if end - pos < _CHUNK_HEAD.size + 4:
        return None
    tag, length = _CHUNK_HEAD.unpack_from(data, pos)
    stop = pos + _CHUNK_HEAD.size + length
    if stop + 4 > end:
        return None
    if tag == TAG_DATA:
        if length == 0 or length % itemsize:
            return None
    elif tag not in (TAG_MARKER, TAG_END) or length > MAX_HEADER_BYTES:
        return None
    (crc,) = _U32.unpack_from(data, stop)
    if zlib.crc32(memoryview(data)[pos:stop]) != crc:
        return None
    return stop + 4


def resync(data: bytes, pos: int, itemsize: int, stop: int | None = None) -> int | None:
    """The offset of the next intact chunk after ``pos`` (and before ``stop``), or None when none follows."""
    for m in _CHUNK_START.finditer(data, pos + 1, len(data) if stop is None else stop):
        if chunk_at(data, m.start(), itemsize) is not None:
            return m.start()
    return None


@dataclass
class HeaderDamage:
    """What was wrong with a header that could still be read, and how it was read (see the docstring)."""

    header_end: int  # where the header (its CRC-32 included) ends: the chunks start here
    signature: bool = False  # the first 8 bytes are not MAGIC, but the header or the chunks after them check out
    length: bool = False  # the u32 length is wrong; the JSON's end was found ...
    end_by_checksum: bool = False  # ... where its checksum matches (else just before the first intact chunk)
    flipped_bit_at: int | None = None  # the byte (from the file's start) where one flipped bit was set right
    in_checksum: bool = False  # ... a byte of the stored CRC-32: the JSON itself was whole
    untrusted: bool = False  # the JSON fails its checksum for good: only what the samples confirm is used
    rate_from_times: bool = False  # ... and its sample rate disagreed with the samples' times, which give it


def decode(data: bytes, name: str = "the recording") -> Decoded:
    """Parse a whole recording. Raises FileFormatError with one sentence for anything unusable."""
    if not data:
        raise FileFormatError(f"{name} is empty")
    # The header's own reading builds on this module's chunks, so it is imported here, not at the top.
    from smr_sense.recording.header import confirmed_by_samples, read_header

    header, info, pos, header_damage = read_header(data, name)
    dtype = row_dtype(info)
    chunks = walk(data, pos, dtype.itemsize)
    rows = np.frombuffer(b"".join(chunks.parts), dtype=dtype) if chunks.parts else np.empty(0, dtype=dtype)
    if header_damage is not None and header_damage.untrusted:
        info = confirmed_by_samples(data, pos, chunks, rows, info, header_damage, name)
        header["stream"] = info.to_json()
    return Decoded(
        header, info, rows, chunks.markers, chunks.closed, len(data) - chunks.pos, chunks.tail_complete,
        chunks.damage, chunks.end_samples, header_damage,
    )


@dataclass
class Chunks:
    """What the chunks after the header hold, read as rows of ``itemsize`` bytes."""

    parts: list[memoryview] = field(default_factory=list)  # the sample chunks' payloads, in order
    markers: list[Marker] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    closed: bool = False
    end_samples: int | None = None
    pos: int = 0  # where the intact chunks end (the file's end, unless a torn tail follows)
    tail_complete: bool = False


def walk(data: bytes, pos: int, itemsize: int) -> Chunks:
    """The chunks from ``pos`` to the end, skipping damage in the middle (see the docstring)."""
    out = Chunks()
    n_rows = 0
    mv = memoryview(data)
    end = len(data)
    while pos < end:
        after = chunk_at(data, pos, itemsize)
        if after is None:
            # A bad chunk. Intact chunks after it mean damage in the middle: skip to the next one and
            # keep going. None after it means the recorder stopped here: the rest is the torn tail.
            nxt = resync(data, pos, itemsize)
            if nxt is None:
                if end - pos >= _CHUNK_HEAD.size + 4:
                    (length,) = _U32.unpack_from(data, pos + 1)
                    out.tail_complete = pos + _CHUNK_HEAD.size + length + 4 == end
                break
            out.damage.append(Damage(pos, nxt - pos, n_rows))
            pos = nxt
            continue
        tag, length = _CHUNK_HEAD.unpack_from(data, pos)
        payload = mv[pos + _CHUNK_HEAD.size : after - 4]
        if tag == TAG_DATA:
            out.parts.append(payload)
            n_rows += length // itemsize
        elif tag == TAG_MARKER:
            try:
                out.markers.append(Marker.from_json(json.loads(bytes(payload))))
            except (ValueError, KeyError, TypeError):
                pass  # an unreadable marker loses only itself
        elif tag == TAG_END:
            out.closed = True
            try:
                out.end_samples = int(json.loads(bytes(payload))["samples"])
            except (ValueError, KeyError, TypeError):
                pass  # the count only refines a damage warning
        pos = after
    out.pos = pos
    return out


def rows_to_block(rows: np.ndarray, info: StreamInfo) -> SampleBlock:
    raw = np.stack([rows[f"raw_{i}"] for i in range(info.n_channels)], axis=1) if len(rows) else None
    gyro = accel = None
    if info.has_gyro:
        gyro = np.stack([rows[f"gyro_{a}_dps"] for a in GYRO_AXES], axis=1)
    if info.has_accel:
        accel = np.stack([rows[f"accel_{a}_g"] for a in GYRO_AXES], axis=1)
    return SampleBlock.build(
        rows["t_s"],
        raw if raw is not None else np.empty((0, info.n_channels)),
        gyro,
        accel,
        rows["host_t_s"],
    )

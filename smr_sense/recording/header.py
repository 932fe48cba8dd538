"""A recording's header, read as written or, when it is damaged, for everything that can be trusted.

How each kind of damage is read is in format.py's docstring; this module does it. A header that
passes its checksum is used whole, wherever it ends and whatever its signature says. One that fails
it is set right when one flipped bit explains the mismatch (crc_repair); otherwise only what the
samples confirm is taken from it, and the rest is said to be left out.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import replace
from typing import Any

import numpy as np

from smr_sense.core.samples import StreamInfo
from smr_sense.errors import FileFormatError
from smr_sense.recording import crc_repair
from smr_sense.recording import format as fmt

_U32 = struct.Struct("<I")
_BODY = len(fmt.MAGIC) + 4  # the header's JSON starts after the signature and its u32 length


def looks_like_recording(data: bytes) -> bool:
    """A recording, by its signature or, when that is damaged, by what follows it: a header that passes
    its checksum and names this format, or chunks that pass theirs where a header's end could put them
    (any other file does either about once in four billion)."""
    if data.startswith(fmt.MAGIC):
        return True
    found = _checked_end(data)
    if found is not None and _names_this_format(data[_BODY : found[0]]):
        return True
    # A recording's header length has zero bytes: text (a CSV) is never searched for chunks.
    return b"\x00" in data[:_BODY] and _first_chunk(data) is not None


def _first_chunk(data: bytes) -> int | None:
    """Where the first intact chunk starts, looked for only where a header's end could put it."""
    return fmt.resync(data, _BODY, 1, stop=_BODY + fmt.MAX_HEADER_BYTES + 4 + 1)


def _names_this_format(body: bytes) -> bool:
    try:
        header = json.loads(body)
    except ValueError:
        return False
    return isinstance(header, dict) and header.get("schema") == fmt.SCHEMA


def _checked_end(data: bytes) -> tuple[int, bool] | None:
    """(where the header's JSON ends, whether its length field was wrong) when the JSON passes its
    checksum: at the length the field states or, that failing, at the first end that checks out."""
    if len(data) < _BODY + 4:
        return None
    (hlen,) = _U32.unpack_from(data, len(fmt.MAGIC))
    stated = _BODY + hlen
    if hlen <= fmt.MAX_HEADER_BYTES and stated + 4 <= len(data) and _crc_follows(data, stated):
        return stated, False
    # JSON ends in '}', so only after one can its checksum follow: the CRC-32 is carried from one
    # '}' to the next, so the search reads each byte once (a false match: one in 2**32 per '}').
    mv = memoryview(data)
    stop = min(len(data) - 4, _BODY + fmt.MAX_HEADER_BYTES)
    crc, done = 0, _BODY
    at = data.find(b"}", _BODY, stop)
    while at >= 0:
        crc = zlib.crc32(mv[done : at + 1], crc)
        done = at + 1
        if _U32.unpack_from(data, done)[0] == crc:
            return done, True
        at = data.find(b"}", done, stop)
    return None


def _crc_follows(data: bytes, end: int) -> bool:
    """The four bytes at ``end`` are the CRC-32 of the header's JSON up to ``end``."""
    return zlib.crc32(memoryview(data)[_BODY:end]) == _U32.unpack_from(data, end)[0]


def _end_unchecked(data: bytes, name: str) -> int:
    """Where a header that fails its checksum ends: where its length says, if an intact chunk (or the
    file's end) follows there; else just before the first intact chunk."""
    (hlen,) = _U32.unpack_from(data, len(fmt.MAGIC)) if len(data) >= _BODY else (fmt.MAX_HEADER_BYTES + 1,)
    stated = _BODY + hlen
    fits = hlen <= fmt.MAX_HEADER_BYTES and stated + 4 <= len(data)
    if fits and (stated + 4 == len(data) or fmt.chunk_at(data, stated + 4, 1) is not None):
        return stated
    first = _first_chunk(data)
    if first is not None and first - 4 > _BODY:
        return first - 4
    if not fits:
        raise FileFormatError(f"{name} was cut off inside its header")
    raise FileFormatError(f"{name} has a corrupt header (checksum mismatch) and no intact chunk after it")


def read_header(data: bytes, name: str) -> tuple[dict[str, Any], StreamInfo, int, fmt.HeaderDamage | None]:
    """The header, the stream it describes, where the chunks start, and what was wrong with it.

    A header that passes its checksum is used whole, also when its length field or the signature is
    damaged. One that fails it is set right when one flipped bit explains the mismatch (crc_repair),
    and otherwise read as untrusted (_untrusted_header), with the one damaged byte that would explain
    it set back, if there is one, so that its layout can be read."""
    if not looks_like_recording(data):
        raise FileFormatError(f"{name} is not an smr-sense recording (it does not start with the recording signature)")
    signed = data.startswith(fmt.MAGIC)
    found = _checked_end(data)
    if found is not None and (signed or _names_this_format(data[_BODY : found[0]])):
        end, length_wrong = found
        damage = fmt.HeaderDamage(end + 4, signature=not signed, length=length_wrong, end_by_checksum=length_wrong)
        header, info = _parse_header(data[_BODY:end], name)
        return header, info, end + 4, damage if damage.signature or damage.length else None
    end = _end_unchecked(data, name)
    (hlen,) = _U32.unpack_from(data, len(fmt.MAGIC))
    damage = fmt.HeaderDamage(end + 4, signature=not signed, length=end != _BODY + hlen)
    fixed = bytearray(data[_BODY : end + 4])  # the JSON and its stored CRC-32: either may hold the damage
    fixes = crc_repair.byte_fixes(bytes(fixed[:-4]), _U32.unpack_from(data, end)[0])
    if len(fixes) == 1:
        index, change = fixes[0]
        fixed[index] ^= change
    if len(fixes) != 1 or not crc_repair.is_one_bit(fixes[0]):
        # No proof that the JSON is as written, only a lead at best (one damaged byte that would
        # explain it, set back above): it is read for what the samples can confirm.
        damage.untrusted = True
        header, info = _untrusted_header(bytes(fixed[:-4]), data, end + 4, name)
        return header, info, end + 4, damage
    damage.flipped_bit_at, damage.in_checksum = _BODY + index, index >= len(fixed) - 4
    header, info = _parse_header(bytes(fixed[:-4]), name)
    return header, info, end + 4, damage


def _parse_header(body: bytes, name: str) -> tuple[dict[str, Any], StreamInfo]:
    """A header known to be as written: each problem in it is the file's, said in one sentence."""
    try:
        header = json.loads(body)
    except ValueError:
        raise FileFormatError(f"{name} has a header that is not valid JSON") from None
    if not isinstance(header, dict) or header.get("schema") != fmt.SCHEMA:
        raise FileFormatError(f"{name} is not an smr-sense recording (its header names another schema)")
    version = header.get("schema_version")
    if version != fmt.SCHEMA_VERSION:
        raise FileFormatError(
            f"{name} uses recording schema version {version}; this smr-sense reads version {fmt.SCHEMA_VERSION}"
        )
    try:
        info = StreamInfo.from_json(header["stream"])
    except (KeyError, TypeError, ValueError) as err:
        raise FileFormatError(f"{name} has a header without a usable stream description ({err})") from None
    columns = [c.get("name") for c in header.get("columns", [])]
    if columns != list(fmt.row_dtype(info).names or ()):
        raise FileFormatError(f"{name} lists columns that do not match its stream description")
    return header, info


def _unreadable(name: str, why: str, data: bytes, pos: int) -> FileFormatError:
    """The refusal of a header that fails its checksum and cannot be used: the samples are there, and
    the sentence says how many chunks of them, but without the layout they cannot be read."""
    chunks = len(fmt.walk(data, pos, 1).parts)
    if chunks == 0:
        return FileFormatError(f"{name} has a damaged header (it fails its checksum and {why}) and no intact samples")
    held = "one intact chunk of samples" if chunks == 1 else f"{chunks} intact chunks of samples"
    return FileFormatError(
        f"{name} has a damaged header (it fails its checksum and {why}), so the layout of its samples is unknown: "
        f"the file holds {held} (up to a second each), but none can be read without it"
    )


def _untrusted_header(body: bytes, data: bytes, pos: int, name: str) -> tuple[dict[str, Any], StreamInfo]:
    """A header that fails its checksum, read for what the samples can confirm: the row layout, from the
    stream's channels and sensors (checked against the samples in confirmed_by_samples), and names,
    which when damaged match nothing, loudly. Its numbers cannot be checked, and one damaged digit in
    them would be a wrong answer given as right: the calibration (counts to newtons), the sensor
    positions, the roller's radius, the stream's notes, the session's settings (hold cap, ceiling,
    body weight) and the date are left out."""
    try:
        # A damaged byte is often no UTF-8 at all: inside a string that costs only that string.
        header = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        raise _unreadable(name, "is not readable JSON", data, pos) from None
    ours = (fmt.SCHEMA, fmt.SCHEMA_VERSION)
    if not isinstance(header, dict) or (header.get("schema"), header.get("schema_version")) != ours:
        raise _unreadable(name, "does not read as a recording header", data, pos)
    try:
        info = StreamInfo.from_json(header["stream"])
    except (KeyError, TypeError, ValueError):
        raise _unreadable(name, "its stream description is unreadable", data, pos) from None
    channels = tuple(replace(c, position_m=None) for c in info.channels)
    info = replace(info, channels=channels, calibration=None, roller_radius_m=None, extra={})
    # The row layout is the stream's (row_dtype), so the columns list, which says the same, is not needed
    # (one damaged name there costs nothing); the samples check the layout (confirmed_by_samples).
    dtype = fmt.row_dtype(info)
    columns = [{"name": n, "dtype": dtype[n].str} for n in dtype.names or ()]
    kept = {"schema": fmt.SCHEMA, "schema_version": fmt.SCHEMA_VERSION, "stream": info.to_json(), "columns": columns}
    return kept, info


# Rows laid out wrongly put other values where the times go: they do not keep running forward.
_FORWARD_STEPS = 0.99
_RATE_SLACK = 0.01  # a nominal rate this far from the times' belongs to another stream (a damaged digit)


def confirmed_by_samples(
    data: bytes, pos: int, chunks: fmt.Chunks, rows: np.ndarray, info: StreamInfo, damage: fmt.HeaderDamage, name: str
) -> StreamInfo:
    """An untrusted header's layout and rate, checked against the samples, whose chunks pass their
    checksums: every sample chunk holds whole rows, the times are finite and run forward, and the
    rate is the times' own when the header's disagrees with them."""
    whole = fmt.walk(data, pos, 1)  # every intact sample chunk, whatever its size
    t = rows["t_s"]
    steps = np.diff(t)
    if (
        len(whole.parts) != len(chunks.parts)
        or not np.isfinite(t).all()
        or (len(steps) and np.count_nonzero(steps > 0) < _FORWARD_STEPS * len(steps))
    ):
        raise _unreadable(name, "its column layout does not fit its samples", data, pos)
    if len(steps):
        rate = float(f"{1.0 / float(np.median(steps)):.6g}")
        if abs(rate - info.rate_hz) > _RATE_SLACK * rate:
            info = replace(info, rate_hz=rate)
            damage.rate_from_times = True
    return info



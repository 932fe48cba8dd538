"""Encoders for the reference protocol: what firmware sends, and what the host writes to it.

The emulated roller, the tests and the benchmark use these; the C twin in
``firmware_notes/common/smr_frame.c`` must produce identical bytes (the shared vectors check it).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

import numpy as np

from smr_sense.core.samples import Channel
from smr_sense.core.wire.messages import DeviceInfo
from smr_sense.core.wire.protocol import (
    ACCEL_LSB_G,
    COMMAND_CODES,
    FLAG_ACCEL,
    FLAG_FLOAT_VALUES,
    FLAG_GYRO,
    GYRO_LSB_DPS,
    MAX_CHANNELS,
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    SENSOR_CODES,
    STATUS_CODES,
    SYNC,
    TYPE_COMMAND,
    TYPE_DEVICE_INFO,
    TYPE_REPLY,
    TYPE_SAMPLES,
    UNIT_CODES,
    WireError,
    crc16_ccitt_false,
)

VALUE_FORMATS = ("int32", "float32")


def wrap_frame(frame_type: int, payload: bytes, version: int = PROTOCOL_VERSION) -> bytes:
    """Sync, header, payload and CRC around a payload."""
    if len(payload) > MAX_PAYLOAD:
        raise WireError(f"a frame payload holds at most {MAX_PAYLOAD} bytes, got {len(payload)}")
    body = struct.pack("<BBH", version, frame_type, len(payload)) + payload
    return SYNC + body + struct.pack("<H", crc16_ccitt_false(body))


def quantize_imu(values: Sequence[float] | np.ndarray, lsb: float) -> np.ndarray:
    """Round to the wire's int16 steps, saturating (the C encoder does the same: round half away from 0)."""
    x = np.asarray(values, dtype=np.float64) / lsb
    q = np.sign(x) * np.floor(np.abs(x) + 0.5)
    return np.clip(q, -32768, 32767).astype("<i2")


def _sample_arrays(
    seq: np.ndarray,
    t_us: np.ndarray,
    values: np.ndarray,
    gyro_dps: np.ndarray | None,
    accel_g: np.ndarray | None,
    value_format: str,
) -> np.ndarray:
    """The sample frames' bytes as an (n, frame_len) uint8 array, CRC included."""
    if value_format not in VALUE_FORMATS:
        raise WireError(f"value_format must be int32 or float32, got {value_format!r}")
    n, k = values.shape
    if not 1 <= k <= MAX_CHANNELS:
        raise WireError(f"a sample frame carries 1 to {MAX_CHANNELS} channels, got {k}")
    for name, arr, shape in (("t_us", t_us, (n,)), ("gyro_dps", gyro_dps, (n, 3)), ("accel_g", accel_g, (n, 3))):
        if arr is not None and np.shape(arr) != shape:
            raise WireError(f"{name} must have shape {shape} to match {n} samples, got {np.shape(arr)}")
    flags = (FLAG_GYRO if gyro_dps is not None else 0) | (FLAG_ACCEL if accel_g is not None else 0)
    flags |= FLAG_FLOAT_VALUES if value_format == "float32" else 0
    fields: list[tuple[str, str, tuple[int, ...]]] = [
        ("sync", "u1", (2,)),
        ("version", "u1", ()),
        ("type", "u1", ()),
        ("length", "<u2", ()),
        ("seq", "<u2", ()),
        ("t_us", "<u4", ()),
        ("flags", "u1", ()),
        ("k", "u1", ()),
        ("values", "<f4" if value_format == "float32" else "<i4", (k,)),
    ]
    if gyro_dps is not None:
        fields.append(("gyro", "<i2", (3,)))
    if accel_g is not None:
        fields.append(("accel", "<i2", (3,)))
    fields.append(("crc", "<u2", ()))
    rec = np.zeros(n, dtype=np.dtype([(name, dt, shape) for name, dt, shape in fields]))
    rec["sync"] = (SYNC[0], SYNC[1])
    rec["version"] = PROTOCOL_VERSION
    rec["type"] = TYPE_SAMPLES
    rec["length"] = rec.dtype.itemsize - 8
    rec["seq"] = np.asarray(seq, dtype=np.int64) % (1 << 16)
    rec["t_us"] = np.asarray(t_us, dtype=np.int64) % (1 << 32)
    rec["flags"] = flags
    rec["k"] = k
    if value_format == "int32":
        v = np.asarray(values, dtype=np.float64)
        if not np.all(np.isfinite(v)) or np.any(np.abs(v) > 2**31 - 1):
            raise WireError("int32 channel values must be finite and fit in 32 bits")
        rec["values"] = np.rint(v).astype(np.int64)
    else:
        rec["values"] = np.asarray(values, dtype=np.float32)
    if gyro_dps is not None:
        rec["gyro"] = quantize_imu(gyro_dps, GYRO_LSB_DPS)
    if accel_g is not None:
        rec["accel"] = quantize_imu(accel_g, ACCEL_LSB_G)
    rows = rec.view(np.uint8).reshape(n, rec.dtype.itemsize)
    crcs = [crc16_ccitt_false(row[2:-2].tobytes()) for row in rows]
    rec["crc"] = crcs
    return rows


def encode_frames(
    seq_start: int,
    t_us: Sequence[int] | np.ndarray,
    values: Sequence[Sequence[float]] | np.ndarray,
    gyro_dps: np.ndarray | None = None,
    accel_g: np.ndarray | None = None,
    value_format: str = "int32",
) -> bytes:
    """Many consecutive sample frames at once: seq numbers ``seq_start, seq_start+1, ...`` (mod 2^16).

    ``values`` is (n, k); ``t_us`` raw device microseconds (taken mod 2^32, so wraps are real);
    gyro in deg/s and accel in g are (n, 3) or None.
    """
    v = np.asarray(values)
    if v.ndim == 1:
        v = v.reshape(-1, 1)
    seq = seq_start + np.arange(v.shape[0], dtype=np.int64)
    g = None if gyro_dps is None else np.asarray(gyro_dps, dtype=np.float64)
    a = None if accel_g is None else np.asarray(accel_g, dtype=np.float64)
    return _sample_arrays(seq, np.asarray(t_us).reshape(-1), v, g, a, value_format).tobytes()


def encode_frame(
    seq: int,
    t_us: int,
    values: Sequence[float],
    gyro_dps: Sequence[float] | None = None,
    accel_g: Sequence[float] | None = None,
    value_format: str = "int32",
) -> bytes:
    """One sample frame. ``values`` per channel (int32 counts, or float32 with value_format="float32")."""
    return encode_frames(
        seq,
        [t_us],
        np.asarray(values, dtype=np.float64).reshape(1, -1),
        None if gyro_dps is None else np.asarray(gyro_dps, dtype=np.float64).reshape(1, 3),
        None if accel_g is None else np.asarray(accel_g, dtype=np.float64).reshape(1, 3),
        value_format,
    )


def _short_text(text: str, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise WireError(f"the {what} must be at most 255 bytes of UTF-8, got {len(raw)}")
    return bytes([len(raw)]) + raw


def _firmware_triplet(firmware: str) -> tuple[int, int, int]:
    try:
        parts = [int(p) for p in firmware.split(".")]
    except ValueError:
        raise WireError(f"firmware version must look like 1.2.3, got {firmware!r}") from None
    parts = (parts + [0, 0, 0])[:3]
    if any(not 0 <= p <= 255 for p in parts):
        raise WireError(f"each part of the firmware version must be 0..255, got {firmware!r}")
    return parts[0], parts[1], parts[2]


def encode_device_info(info: DeviceInfo) -> bytes:
    """A device-info frame (type 2) describing ``info``."""
    if not 1 <= len(info.channels) <= MAX_CHANNELS:
        raise WireError(f"a device has 1 to {MAX_CHANNELS} channels, got {len(info.channels)}")
    major, minor, patch = _firmware_triplet(info.firmware)
    flags = (1 if info.has_gyro else 0) | (2 if info.has_accel else 0)
    radius = math.nan if info.roller_radius_m is None else info.roller_radius_m
    out = bytearray(struct.pack("<BBBBffB", major, minor, patch, flags, info.rate_hz, radius, len(info.channels)))
    out += _short_text(info.device_id, "device id")
    out += _short_text(info.device_name, "device name")
    for ch in info.channels:
        out += _encode_channel(ch)
    return wrap_frame(TYPE_DEVICE_INFO, bytes(out))


def _encode_channel(ch: Channel) -> bytes:
    if ch.sensor not in SENSOR_CODES:
        raise WireError(f"sensor kind must be one of {sorted(SENSOR_CODES)}, got {ch.sensor!r}")
    if ch.unit not in UNIT_CODES:
        raise WireError(f"channel unit must be one of {sorted(UNIT_CODES)}, got {ch.unit!r}")
    x, y = ch.position_m if ch.position_m is not None else (math.nan, math.nan)
    return struct.pack("<BBff", SENSOR_CODES[ch.sensor], UNIT_CODES[ch.unit], x, y) + _short_text(
        ch.name, "channel name"
    )


def encode_command(name: str, token: int = 0, rate_hz: float | None = None) -> bytes:
    """A command frame (type 3): start, stop, tare, get_info, or set_rate with ``rate_hz``."""
    if name not in COMMAND_CODES:
        raise WireError(f"unknown command {name!r}; known: {', '.join(COMMAND_CODES)}")
    payload = bytes([COMMAND_CODES[name], token & 0xFF])
    if name == "set_rate":
        if rate_hz is None or not rate_hz > 0:
            raise WireError("set_rate needs a positive rate_hz")
        payload += struct.pack("<f", rate_hz)
    return wrap_frame(TYPE_COMMAND, payload)


def encode_reply(command: str, token: int = 0, status: str = "ok", value: float | None = None) -> bytes:
    """A reply frame (type 4) to ``command`` with the command's ``token``; ``value`` is optional."""
    if command not in COMMAND_CODES:
        raise WireError(f"unknown command {command!r}; known: {', '.join(COMMAND_CODES)}")
    if status not in STATUS_CODES:
        raise WireError(f"unknown status {status!r}; known: {', '.join(STATUS_CODES)}")
    payload = bytes([COMMAND_CODES[command], token & 0xFF, STATUS_CODES[status]])
    if value is not None:
        payload += struct.pack("<f", value)
    return wrap_frame(TYPE_REPLY, payload)

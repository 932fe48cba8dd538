"""Sans-I/O decoder for the reference protocol: bytes in, samples and messages out.

Serial ports and BLE notifications both deliver a byte stream with arbitrary boundaries; the decoder
buffers, hunts for the sync bytes, validates length and CRC, and resynchronises one byte after the
start of anything that fails, so garbage (even inside a frame) costs only the frames it touched.
Frames are located one by one with C-speed helpers (bytes.find, crc_hqx); the sample values of a
whole run of frames are then pulled out with numpy in one go.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from smr_sense.core.samples import Channel, SampleBlock
from smr_sense.core.wire.messages import Command, CommandReply, DecoderStats, DeviceInfo
from smr_sense.core.wire.protocol import (
    ACCEL_LSB_G,
    COMMAND_NAMES,
    CRC_LEN,
    FLAG_ACCEL,
    FLAG_FLOAT_VALUES,
    FLAG_GYRO,
    GYRO_LSB_DPS,
    HEADER_LEN,
    IMU_BLOCK_LEN,
    MAX_CHANNELS,
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    SAMPLE_HEADER_LEN,
    SENSOR_NAMES,
    STATUS_NAMES,
    SYNC,
    TYPE_COMMAND,
    TYPE_DEVICE_INFO,
    TYPE_REPLY,
    TYPE_SAMPLES,
    UNIT_NAMES,
    crc16_ccitt_false,
    sample_payload_len,
)
from smr_sense.core.wire.unwrap import CounterUnwrapper, SequenceTracker

ReferenceItem = SampleBlock | DeviceInfo | CommandReply | Command
_SYNC0 = SYNC[0]
_SYNC1 = SYNC[1]


class _MalformedPayload(Exception):
    """Internal: a payload with a valid CRC whose contents break the rules."""


class ReferenceDecoder:
    """Feed it bytes; it returns the decoded items in stream order.

    ``feed(data) -> list[SampleBlock | DeviceInfo | CommandReply | Command]``. Consecutive sample
    frames of one feed with the same layout come out as one :class:`SampleBlock` (``t_s`` is the
    unwrapped device time, ``host_t_s`` None: the source stamps it). ``.stats`` counts frames, corrupt
    frames, lost samples and discarded bytes; ``.info`` is the last device info seen.
    Memory is bounded: the buffer never holds more than one maximal frame beyond the last feed.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = DecoderStats()
        self.info: DeviceInfo | None = None
        # Why the last device-info frame could not be read ("its sample rate is 0 Hz ..."): a host
        # that gets frames but no description then says what the firmware got wrong, not "check baud".
        self.info_error: str | None = None
        self._clock = CounterUnwrapper(bits=32)
        self._seq = SequenceTracker(bits=16)

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[ReferenceItem]:
        buf = self._buf
        buf += data
        stats = self.stats
        items: list[ReferenceItem] = []
        run_starts: list[int] = []
        run_key: tuple[int, int, int] | None = None
        n = len(buf)
        pos = 0
        find = buf.find
        while True:
            i = find(SYNC, pos)
            if i < 0:
                # keep a trailing first sync byte: its partner may come in the next feed
                keep = 1 if n > pos and buf[n - 1] == _SYNC0 else 0
                stats.bytes_discarded += n - keep - pos
                pos = n - keep
                break
            if i > pos:
                stats.bytes_discarded += i - pos
                pos = i
            if n - i < HEADER_LEN:
                break
            length = buf[i + 4] | (buf[i + 5] << 8)
            if length > MAX_PAYLOAD:
                stats.bytes_discarded += 1
                pos = i + 1
                continue
            end = i + HEADER_LEN + length + CRC_LEN
            if end > n:
                break
            if crc16_ccitt_false(buf[i + 2 : end - 2]) != buf[end - 2] | (buf[end - 1] << 8):
                stats.corrupt += 1
                stats.bytes_discarded += 1
                pos = i + 1
                continue
            pos = end
            version = buf[i + 2]
            ftype = buf[i + 3]
            if version != PROTOCOL_VERSION:
                stats.unsupported += 1
                continue
            if ftype == TYPE_SAMPLES and length >= SAMPLE_HEADER_LEN:
                flags = buf[i + 12] & (FLAG_GYRO | FLAG_ACCEL | FLAG_FLOAT_VALUES)
                k = buf[i + 13]
                if not 1 <= k <= MAX_CHANNELS or length < sample_payload_len(k, flags):
                    stats.corrupt += 1
                    continue
                stats.frames += 1
                key = (k, flags, length)
                if key != run_key and run_starts:
                    items.append(self._decode_run(buf, run_starts, run_key))  # type: ignore[arg-type]
                    run_starts = []
                run_key = key
                run_starts.append(i)
                continue
            if run_starts:
                items.append(self._decode_run(buf, run_starts, run_key))  # type: ignore[arg-type]
                run_starts = []
            payload = bytes(buf[i + HEADER_LEN : end - CRC_LEN])
            try:
                item = self._decode_message(ftype, payload)
            except (_MalformedPayload, struct.error, UnicodeDecodeError) as err:
                stats.corrupt += 1
                if ftype == TYPE_DEVICE_INFO:
                    self.info_error = str(err) if isinstance(err, _MalformedPayload) and str(err) else "it is cut short"
                continue
            if item is None:
                stats.unsupported += 1
                continue
            stats.frames += 1
            items.append(item)
        if run_starts:
            items.append(self._decode_run(buf, run_starts, run_key))  # type: ignore[arg-type]
        del buf[:pos]
        return items

    def _decode_run(self, buf: bytearray, starts: list[int], key: tuple[int, int, int]) -> SampleBlock:
        k, flags, length = key
        frame_len = HEADER_LEN + length + CRC_LEN
        whole = np.frombuffer(bytes(buf[starts[0] : starts[-1] + frame_len]), dtype=np.uint8)
        offsets = np.asarray(starts, dtype=np.intp) - starts[0]
        if offsets[-1] == (offsets.shape[0] - 1) * frame_len:
            rows = whole.reshape(-1, frame_len)  # frames back to back: a plain reshape, no gather
        else:
            rows = whole[offsets[:, None] + np.arange(frame_len)]
        p = HEADER_LEN
        seq = np.ascontiguousarray(rows[:, p : p + 2]).view("<u2").ravel()
        t_us = np.ascontiguousarray(rows[:, p + 2 : p + 6]).view("<u4").ravel()
        p += SAMPLE_HEADER_LEN
        vtype = "<f4" if flags & FLAG_FLOAT_VALUES else "<i4"
        values = np.ascontiguousarray(rows[:, p : p + 4 * k]).view(vtype).astype(np.float32)
        p += 4 * k
        gyro = accel = None
        if flags & FLAG_GYRO:
            gyro = np.ascontiguousarray(rows[:, p : p + IMU_BLOCK_LEN]).view("<i2").astype(np.float32)
            gyro *= np.float32(GYRO_LSB_DPS)
            p += IMU_BLOCK_LEN
        if flags & FLAG_ACCEL:
            accel = np.ascontiguousarray(rows[:, p : p + IMU_BLOCK_LEN]).view("<i2").astype(np.float32)
            accel *= np.float32(ACCEL_LSB_G)
        ticks_us, restarted = self._clock.unwrap(t_us)
        self.stats.time_resets = self._clock.resets
        self.stats.lost += self._seq.lost(seq, restarted)
        self.stats.samples += len(starts)
        return SampleBlock(ticks_us / 1e6, values.reshape(-1, k), gyro, accel, None)

    def _decode_message(self, ftype: int, payload: bytes) -> ReferenceItem | None:
        if ftype == TYPE_DEVICE_INFO:
            info = decode_device_info_payload(payload)
            self.info = info
            return info
        if ftype == TYPE_REPLY:
            if len(payload) < 3:
                raise _MalformedPayload
            value = struct.unpack_from("<f", payload, 3)[0] if len(payload) >= 7 else None
            return CommandReply(
                command=COMMAND_NAMES.get(payload[0], f"0x{payload[0]:02x}"),
                token=payload[1],
                status=STATUS_NAMES.get(payload[2], f"0x{payload[2]:02x}"),
                value=None if value is None else float(value),
            )
        if ftype == TYPE_COMMAND:
            if len(payload) < 2:
                raise _MalformedPayload
            name = COMMAND_NAMES.get(payload[0], f"0x{payload[0]:02x}")
            rate = None
            if name == "set_rate":
                rate = float(struct.unpack_from("<f", payload, 2)[0])
            return Command(name=name, token=payload[1], rate_hz=rate)
        return None  # a frame type from a later protocol revision: skipped, counted as unsupported


def _f32(x: float) -> float:
    """A float32 field as the decimal the device meant (0.075, not 0.07500000298023224)."""
    return float(str(np.float32(x)))


def _text(payload: bytes, pos: int) -> tuple[str, int]:
    n = payload[pos]
    raw = payload[pos + 1 : pos + 1 + n]
    if len(raw) != n:
        raise _MalformedPayload
    return raw.decode("utf-8", errors="replace"), pos + 1 + n


def decode_device_info_payload(payload: bytes) -> DeviceInfo:
    """Parse a device-info payload; raises _MalformedPayload or struct.error on a bad one."""
    major, minor, patch, flags, rate_hz, radius, k = struct.unpack_from("<BBBBffB", payload, 0)
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise _MalformedPayload(f"its sample rate is {rate_hz:g} Hz; it must be the rate the firmware samples at")
    if not 1 <= k <= MAX_CHANNELS:
        raise _MalformedPayload(f"it has {k} channels; it must have 1 to {MAX_CHANNELS}")
    pos = 13
    device_id, pos = _text(payload, pos)
    device_name, pos = _text(payload, pos)
    channels = []
    seen: set[str] = set()
    for idx in range(k):
        sensor, unit, x, y = struct.unpack_from("<BBff", payload, pos)
        name, pos = _text(payload, pos + 10)
        name = name or f"ch{idx}"
        while name in seen:  # the stream model needs unique names; a sloppy sketch should still work
            name = f"{name}_{idx}"
        seen.add(name)
        position = (_f32(x), _f32(y)) if math.isfinite(x) and math.isfinite(y) else None
        channels.append(
            Channel(
                name=name,
                unit=UNIT_NAMES.get(unit, "count"),  # an unknown unit code is safest treated as raw counts
                sensor=SENSOR_NAMES.get(sensor, "other"),
                position_m=position,
            )
        )
    return DeviceInfo(
        device_id=device_id or "unknown",
        device_name=device_name or device_id or "unknown",
        firmware=f"{major}.{minor}.{patch}",
        rate_hz=_f32(rate_hz),
        channels=tuple(channels),
        has_gyro=bool(flags & 1),
        has_accel=bool(flags & 2),
        roller_radius_m=_f32(radius) if math.isfinite(radius) and radius > 0 else None,
    )

"""Sans-I/O decoder for the Tindeq Progressor BLE protocol (and its open firmware clones).

Notifications on 7e4e1702-... carry ``[tag u8][length u8][payload]``, little-endian. Tag 1 is weight
samples, repeated ``(float32 kg, uint32 microseconds)``; tag 0 a command response (battery voltage
as uint32 millivolts after 0x6F); tag 4 a low-power warning. Commands written to 7e4e1703-... are
single bytes: 0x64 tare, 0x65 start, 0x66 stop, 0x6F battery. The microsecond counter is unwrapped.
The stream has no sync bytes, so after an impossible header the decoder drops one byte and retries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.core.wire.messages import DecoderStats
from smr_sense.core.wire.protocol import WireError
from smr_sense.core.wire.unwrap import CounterUnwrapper

TINDEQ_SERVICE_UUID = "7e4e1701-1ea6-40c9-9dcc-13d34ffead57"
TINDEQ_DATA_UUID = "7e4e1702-1ea6-40c9-9dcc-13d34ffead57"
TINDEQ_CONTROL_UUID = "7e4e1703-1ea6-40c9-9dcc-13d34ffead57"
TINDEQ_RATE_HZ = 80.0
TINDEQ_COMMANDS = {"tare": 0x64, "start": 0x65, "stop": 0x66, "battery": 0x6F}

TAG_RESPONSE = 0
TAG_WEIGHT = 1
TAG_LOW_POWER = 4
_KNOWN_TAGS = {0, 1, 2, 3, 4}
_SAMPLE = struct.Struct("<fI")


@dataclass(frozen=True)
class TindeqResponse:
    """A tag 0 command response (``value`` is the uint32 it carries, e.g. battery millivolts) or a
    tag 4 low-power warning (``kind == "low_power"``)."""

    kind: str
    value: int | None = None
    payload: bytes = b""


TindeqItem = SampleBlock | TindeqResponse


def tindeq_command(name: str) -> bytes:
    """The bytes to write to the control characteristic for tare, start, stop or battery."""
    if name not in TINDEQ_COMMANDS:
        raise WireError(f"the Progressor knows the commands {', '.join(TINDEQ_COMMANDS)}, not {name!r}")
    return bytes([TINDEQ_COMMANDS[name]])


def encode_tindeq_weights(kg: list[float] | np.ndarray, t_us: list[int] | np.ndarray) -> bytes:
    """One tag 1 message (at most 30 samples, as the payload length is a byte)."""
    if len(kg) != len(t_us) or not 1 <= len(kg) <= 30:
        raise WireError("a Progressor weight message carries 1 to 30 (kg, microseconds) pairs")
    payload = b"".join(_SAMPLE.pack(float(w), int(t) % (1 << 32)) for w, t in zip(kg, t_us))
    return bytes([TAG_WEIGHT, len(payload)]) + payload


def encode_tindeq_response(value: int) -> bytes:
    return bytes([TAG_RESPONSE, 4]) + struct.pack("<I", value)


def tindeq_stream_info(source: str, device_id: str, device_name: str = "Progressor") -> StreamInfo:
    return StreamInfo(
        source=source,
        device_id=device_id,
        device_name=device_name,
        channels=(Channel(name="load", unit="kg", sensor="load_cell"),),
        rate_hz=TINDEQ_RATE_HZ,
        extra={"protocol": "tindeq"},
    )


class TindeqDecoder:
    """``feed(data) -> list[SampleBlock | TindeqResponse]``; one block per feed holds all its weights
    (column ``load`` in kg, ``t_s`` unwrapped device time). ``.stats`` as for the other decoders."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = DecoderStats()
        self._clock = CounterUnwrapper(bits=32)

    def feed(self, data: bytes | bytearray | memoryview) -> list[TindeqItem]:
        buf = self._buf
        buf += data
        items: list[TindeqItem] = []
        kg: list[float] = []
        t_us: list[int] = []
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            tag, length = buf[pos], buf[pos + 1]
            if tag not in _KNOWN_TAGS or (tag == TAG_WEIGHT and (length == 0 or length % 8)):
                self.stats.bytes_discarded += 1
                pos += 1
                continue
            end = pos + 2 + length
            if end > n:
                break
            payload = bytes(buf[pos + 2 : end])
            pos = end
            self.stats.frames += 1
            if tag == TAG_WEIGHT:
                for w, t in _SAMPLE.iter_unpack(payload):
                    kg.append(w)
                    t_us.append(t)
                continue
            if kg:
                items.append(self._block(kg, t_us))
                kg, t_us = [], []
            if tag == TAG_RESPONSE:
                value = struct.unpack_from("<I", payload)[0] if len(payload) >= 4 else None
                items.append(TindeqResponse("response", value, payload))
            elif tag == TAG_LOW_POWER:
                items.append(TindeqResponse("low_power", None, payload))
            else:
                self.stats.unsupported += 1  # rate-of-force peaks: not used by a roller
        if kg:
            items.append(self._block(kg, t_us))
        del buf[:pos]
        return items

    def _block(self, kg: list[float], t_us: list[int]) -> SampleBlock:
        ticks, _ = self._clock.unwrap(np.asarray(t_us, dtype=np.int64))
        self.stats.time_resets = self._clock.resets
        self.stats.samples += len(kg)
        return SampleBlock.build(ticks / 1e6, np.asarray(kg, dtype=np.float32).reshape(-1, 1))

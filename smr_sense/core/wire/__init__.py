"""Wire formats, sans-I/O: bytes in, samples and messages out (and the encoders for the other way).

Nothing here does I/O or reads a clock; the serial and BLE sources feed bytes in and stamp host time.
Every decoder has the same shape (as h11's ``receive_data``)::

    decoder.feed(data: bytes) -> list[item]     # any chunking: byte-at-a-time == all at once
    decoder.stats: DecoderStats                 # frames, samples, corrupt, lost, bytes_discarded, ...

Decoders never raise on bad input: they count it and resynchronise. Memory stays bounded.

Reference protocol (firmware_notes/protocol.md)::

    dec = ReferenceDecoder()
    for item in dec.feed(chunk):
        SampleBlock   -> consecutive sample frames of this feed with one layout; t_s unwrapped device
                         time (s), raw (n, k) float32, gyro_dps / accel_g (n, 3) when the frames carry
                         them, host_t_s None
        DeviceInfo    -> item.to_stream_info(source="serial:/dev/ttyUSB0") gives the StreamInfo
        CommandReply  -> command, token, status ("ok" ...), value
        Command       -> only seen by a device (the emulator) decoding what the host writes
    encode_frame(seq, t_us, values, gyro_dps=None, accel_g=None, value_format="int32") -> bytes
    encode_frames(seq_start, t_us[n], values[n, k], gyro_dps=None, accel_g=None, value_format=...) -> bytes
    encode_device_info(DeviceInfo(...)) -> bytes
    encode_command("start" | "stop" | "tare" | "get_info" | "set_rate", token=0, rate_hz=None) -> bytes
    encode_reply(command, token=0, status="ok", value=None) -> bytes

Text lines (Arduino Serial Plotter, plain numbers, CSV with header)::

    dec = TextLineDecoder(format="auto", rate_hz=None, source="serial:/dev/ttyACM0", device_id="...")
    dec.feed(chunk) -> [StreamInfo (when the layout is first known or changes), SampleBlock, ...]

Tindeq Progressor::

    dec = TindeqDecoder(); dec.feed(notification) -> [SampleBlock (column "load" in kg), TindeqResponse]
    tindeq_command("start") -> b"\\x65";  tindeq_stream_info(source, device_id) -> StreamInfo

``sniff_format(data)`` tells a reference byte stream from text lines, for ``format=auto`` ports.
"""

from __future__ import annotations

from smr_sense.core.wire.encode import (
    encode_command,
    encode_device_info,
    encode_frame,
    encode_frames,
    encode_reply,
    wrap_frame,
)
from smr_sense.core.wire.messages import Command, CommandReply, DecoderStats, DeviceInfo
from smr_sense.core.wire.protocol import (
    BLE_COMMAND_UUID,
    BLE_DATA_UUID,
    BLE_INFO_UUID,
    BLE_SERVICE_UUID,
    DEFAULT_BAUD,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
    WireError,
    crc16_ccitt_false,
)
from smr_sense.core.wire.reference import ReferenceDecoder
from smr_sense.core.wire.sniff import sniff_format
from smr_sense.core.wire.text import TextLineDecoder
from smr_sense.core.wire.tindeq import (
    TINDEQ_COMMANDS,
    TINDEQ_CONTROL_UUID,
    TINDEQ_DATA_UUID,
    TINDEQ_SERVICE_UUID,
    TindeqDecoder,
    TindeqResponse,
    encode_tindeq_response,
    encode_tindeq_weights,
    tindeq_command,
    tindeq_stream_info,
)

__all__ = [
    "BLE_COMMAND_UUID",
    "BLE_DATA_UUID",
    "BLE_INFO_UUID",
    "BLE_SERVICE_UUID",
    "DEFAULT_BAUD",
    "NUS_RX_UUID",
    "NUS_SERVICE_UUID",
    "NUS_TX_UUID",
    "TINDEQ_COMMANDS",
    "TINDEQ_CONTROL_UUID",
    "TINDEQ_DATA_UUID",
    "TINDEQ_SERVICE_UUID",
    "Command",
    "CommandReply",
    "DecoderStats",
    "DeviceInfo",
    "ReferenceDecoder",
    "TextLineDecoder",
    "TindeqDecoder",
    "TindeqResponse",
    "WireError",
    "crc16_ccitt_false",
    "encode_command",
    "encode_device_info",
    "encode_frame",
    "encode_frames",
    "encode_reply",
    "encode_tindeq_response",
    "encode_tindeq_weights",
    "sniff_format",
    "tindeq_command",
    "tindeq_stream_info",
    "wrap_frame",
]

"""The reference protocol decoder against the encoder: values, time unwrap, loss, resync, messages."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from smr_sense.core.samples import Channel, SampleBlock
from smr_sense.core.wire import (
    Command,
    CommandReply,
    DeviceInfo,
    ReferenceDecoder,
    WireError,
    crc16_ccitt_false,
    encode_command,
    encode_device_info,
    encode_frame,
    encode_frames,
    encode_reply,
    wrap_frame,
)
from smr_sense.core.wire.protocol import MAX_PAYLOAD, TYPE_SAMPLES
from smr_sense.errors import SmrError
from tests.wire_helpers import samples_of

INFO = DeviceInfo(
    device_id="esp32-0a1b2c",
    device_name="SMR plate",
    firmware="1.4.2",
    rate_hz=80.0,
    channels=(
        Channel("front_left", "count", "load_cell", (0.1, 0.05)),
        Channel("front_right", "count", "load_cell", (0.1, -0.05)),
        Channel("fsr0", "N", "fsr"),
    ),
    has_gyro=True,
    has_accel=True,
    roller_radius_m=0.075,
)


def test_crc_is_ccitt_false() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_smallest_frame_fills_one_default_ble_notification() -> None:
    frame = encode_frame(7, 123456, [-5])
    assert len(frame) == 20  # ATT MTU 23 leaves 20 bytes per notification
    assert frame[:6] == bytes([0xA5, 0x5A, 1, TYPE_SAMPLES, 12, 0])
    assert struct.unpack_from("<HIBBi", frame, 6) == (7, 123456, 0, 1, -5)


@pytest.mark.parametrize("value_format", ["int32", "float32"])
@pytest.mark.parametrize("gyro,accel", [(False, False), (True, False), (False, True), (True, True)])
def test_every_optional_block_round_trips(value_format: str, gyro: bool, accel: bool) -> None:
    rng = np.random.default_rng(3)
    n = 50
    values = rng.integers(-8_000_000, 8_000_000, size=(n, 3)).astype(np.float64)
    if value_format == "float32":
        values = values / 1000.0
    g = rng.uniform(-500, 500, size=(n, 3)) if gyro else None
    a = rng.uniform(-4, 4, size=(n, 3)) if accel else None
    t_us = 1_000_000 + np.arange(n) * 12_500
    data = encode_frames(10, t_us, values, g, a, value_format)
    dec = ReferenceDecoder()
    items = dec.feed(data)
    assert len(items) == 1 and isinstance(items[0], SampleBlock)
    block = items[0]
    np.testing.assert_array_equal(block.raw, values.astype(np.float32))
    np.testing.assert_allclose(block.t_s, t_us / 1e6)
    if gyro:
        np.testing.assert_allclose(block.gyro_dps, g, atol=1 / 32 + 1e-6)
    else:
        assert block.gyro_dps is None
    if accel:
        np.testing.assert_allclose(block.accel_g, a, atol=1 / 8192 + 1e-7)
    else:
        assert block.accel_g is None
    assert block.host_t_s is None
    assert dec.stats.frames == n and dec.stats.lost == 0 and dec.stats.corrupt == 0


def test_timestamp_wrap_is_unwrapped_into_increasing_seconds() -> None:
    t_us = (2**32 - 25_000 + np.arange(6) * 12_500) % 2**32
    block = ReferenceDecoder().feed(encode_frames(0, t_us, np.zeros((6, 1))))[0]
    assert np.all(np.diff(block.t_s) > 0)
    np.testing.assert_allclose(np.diff(block.t_s), 0.0125)
    assert block.t_s[-1] > 2**32 / 1e6


def test_sequence_gaps_count_lost_samples_and_seq_wrap_is_not_a_loss() -> None:
    seqs = [65533, 65534, 65535, 0, 1, 5, 6]  # 2, 3, 4 missing
    data = b"".join(encode_frame(s, 1000 * i, [i]) for i, s in enumerate(seqs))
    dec = ReferenceDecoder()
    dec.feed(data)
    assert dec.stats.lost == 3
    assert dec.stats.frames == 7


def test_device_restart_keeps_time_monotonic_and_is_not_counted_as_loss() -> None:
    before = b"".join(encode_frame(40_000 + i, 600_000_000 + 10_000 * i, [i]) for i in range(5))
    after = b"".join(encode_frame(i, 2_000 + 10_000 * i, [i]) for i in range(5))
    dec = ReferenceDecoder()
    block = samples_of(dec.feed(before) + dec.feed(after))
    assert np.all(np.diff(block.t_s) > 0)
    assert dec.stats.time_resets == 1 and dec.stats.lost == 0


def test_garbage_inside_a_frame_costs_only_that_frame() -> None:
    frames = [encode_frame(i, 1000 * i, [i * 10]) for i in range(10)]
    broken = frames[4][:9] + b"\xa5\x5a\xff\x00garbage" + frames[4][9:]
    data = b"noise" + b"".join(frames[:4]) + broken + b"".join(frames[5:])
    dec = ReferenceDecoder()
    block = samples_of(dec.feed(data))
    assert block.raw[:, 0].tolist() == [0, 10, 20, 30, 50, 60, 70, 80, 90]
    assert dec.stats.corrupt >= 1
    assert dec.stats.lost == 1
    assert dec.stats.bytes_discarded >= len(b"noise")


def test_flipped_bit_is_a_checksum_error() -> None:
    frames = [bytearray(encode_frame(i, 1000 * i, [i])) for i in range(3)]
    frames[1][15] ^= 0x10
    dec = ReferenceDecoder()
    block = samples_of(dec.feed(b"".join(frames)))
    assert block.raw[:, 0].tolist() == [0, 2]
    assert dec.stats.corrupt == 1 and dec.stats.lost == 1


def test_absurd_length_is_skipped_without_waiting_and_a_huge_claim_only_delays() -> None:
    good = encode_frame(1, 1000, [42])
    dec = ReferenceDecoder()
    bogus = b"\xa5\x5a\x01\x01" + struct.pack("<H", MAX_PAYLOAD + 1)
    assert samples_of(dec.feed(bogus + good)).raw[:, 0].tolist() == [42]
    # a plausible but wrong length holds data back only until that many bytes have arrived
    dec = ReferenceDecoder()
    claim = b"\xa5\x5a\x01\x01" + struct.pack("<H", 600)
    stream = claim + b"".join(encode_frame(i, 1000 * i, [i]) for i in range(40))
    block = samples_of(dec.feed(stream))
    assert block.raw[:, 0].tolist() == list(range(40))


def test_memory_stays_bounded_under_garbage() -> None:
    dec = ReferenceDecoder()
    rng = np.random.default_rng(0)
    for _ in range(50):
        dec.feed(rng.integers(0, 256, 20_000, dtype=np.uint8).tobytes())
        assert dec.buffered <= 8 + MAX_PAYLOAD
    assert dec.feed(b"\x00" * 2000) == [] and dec.buffered <= 1


def test_later_protocol_additions_are_skipped_or_tolerated() -> None:
    good = encode_frame(1, 1000, [1])
    v2 = wrap_frame(TYPE_SAMPLES, good[6:-2], version=2)
    unknown_type = wrap_frame(0x7E, b"future")
    # a sample frame with a new flag bit and an appended block: old hosts read what they know
    payload = bytearray(encode_frame(2, 2000, [2], gyro_dps=[16, 0, 0])[6:-2])
    payload[6] |= 0x80
    extended = wrap_frame(TYPE_SAMPLES, bytes(payload) + b"\x01\x02\x03\x04")
    dec = ReferenceDecoder()
    items = dec.feed(good + v2 + unknown_type + extended)
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    assert [b.raw[0, 0] for b in blocks] == [1, 2]
    assert blocks[1].gyro_dps[0, 0] == 16.0
    assert dec.stats.unsupported == 2 and dec.stats.corrupt == 0


def test_device_info_round_trips_to_stream_info() -> None:
    dec = ReferenceDecoder()
    (info,) = dec.feed(encode_device_info(INFO))
    assert info == DeviceInfo(**{**INFO.__dict__, "channels": info.channels})
    assert [c.name for c in info.channels] == ["front_left", "front_right", "fsr0"]
    assert info.channels[0].position_m == (0.1, 0.05)
    assert info.channels[2].unit == "N" and info.channels[2].sensor == "fsr"
    stream = info.to_stream_info("serial:/dev/ttyUSB0")
    assert stream.source == "serial:/dev/ttyUSB0" and stream.device_id == "esp32-0a1b2c"
    assert stream.firmware == "1.4.2" and stream.has_gyro and stream.has_accel
    assert stream.roller_radius_m == 0.075
    assert dec.info is info


def test_duplicate_or_empty_channel_names_still_give_a_valid_stream() -> None:
    sloppy = DeviceInfo("x", "x", "1.0.0", 10.0, (Channel("a"), Channel("a"), Channel("")))
    (info,) = ReferenceDecoder().feed(encode_device_info(sloppy))
    names = [c.name for c in info.to_stream_info("t").channels]
    assert len(set(names)) == 3 and names[0] == "a"


def test_commands_and_replies_round_trip() -> None:
    dec = ReferenceDecoder()
    items = dec.feed(
        encode_command("set_rate", token=9, rate_hz=250.0)
        + encode_command("tare", token=10)
        + encode_reply("set_rate", 9, "ok", 250.0)
        + encode_reply("tare", 10, "failed")
    )
    assert items == [
        Command("set_rate", 9, 250.0),
        Command("tare", 10),
        CommandReply("set_rate", 9, "ok", 250.0),
        CommandReply("tare", 10, "failed", None),
    ]
    assert items[2].ok and not items[3].ok


def test_frames_split_across_20_byte_notifications() -> None:
    data = encode_device_info(INFO) + encode_frames(
        0, np.arange(30) * 12_500, np.arange(90).reshape(30, 3), np.ones((30, 3)), np.zeros((30, 3))
    )
    dec = ReferenceDecoder()
    items = []
    for i in range(0, len(data), 20):
        items += dec.feed(data[i : i + 20])
    assert isinstance(items[0], DeviceInfo)
    block = samples_of(items[1:])
    assert block.raw.reshape(-1).tolist() == list(range(90))
    assert dec.stats.frames == 31 and dec.stats.bytes_discarded == 0


def test_one_feed_gives_one_block_per_layout_run_in_stream_order() -> None:
    data = (
        encode_frames(0, [0, 10, 20], np.zeros((3, 2)))
        + encode_reply("start", 1)
        + encode_frames(3, [30, 40], np.zeros((2, 2)))
        + encode_frames(5, [50], np.zeros((1, 1)))
    )
    items = ReferenceDecoder().feed(data)
    kinds = [(type(i).__name__, len(i) if isinstance(i, SampleBlock) else None) for i in items]
    assert kinds == [("SampleBlock", 3), ("CommandReply", None), ("SampleBlock", 2), ("SampleBlock", 1)]


def test_encoders_refuse_what_the_wire_cannot_carry_with_project_errors() -> None:
    with pytest.raises(WireError):
        encode_frame(0, 0, [])
    with pytest.raises(WireError):
        encode_frame(0, 0, [2.0**40])
    with pytest.raises(WireError):
        encode_command("explode")
    with pytest.raises(SmrError):
        encode_command("set_rate")
    with pytest.raises(WireError):
        encode_device_info(DeviceInfo("x" * 300, "x", "1.0.0", 10.0, (Channel("a"),)))


def test_imu_values_saturate_at_the_wire_range() -> None:
    block = ReferenceDecoder().feed(encode_frame(0, 0, [0], gyro_dps=[5000, -5000, 0.04], accel_g=[9, -9, 0]))[0]
    assert block.gyro_dps[0].tolist() == [32767 / 16, -2048.0, 0.0625]
    assert block.accel_g[0].tolist() == [32767 / 4096, -8.0, 0.0]

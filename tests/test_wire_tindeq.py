"""The Tindeq Progressor protocol: weight messages, responses, commands, time unwrap."""

from __future__ import annotations

import numpy as np

from smr_sense.core.wire import (
    TindeqDecoder,
    TindeqResponse,
    encode_tindeq_response,
    encode_tindeq_weights,
    tindeq_command,
    tindeq_stream_info,
)
from tests.wire_helpers import samples_of


def test_weights_decode_in_kg_with_unwrapped_microseconds() -> None:
    t_us = [(2**32 - 12_500 + 12_500 * i) % 2**32 for i in range(4)]
    msg = encode_tindeq_weights([1.5, 2.5, 3.5, 4.5], t_us)
    assert msg[:2] == bytes([1, 32])
    dec = TindeqDecoder()
    block = samples_of(dec.feed(msg))
    assert block.raw[:, 0].tolist() == [1.5, 2.5, 3.5, 4.5]
    np.testing.assert_allclose(np.diff(block.t_s), 0.0125)
    assert dec.stats.samples == 4


def test_battery_response_and_command_bytes() -> None:
    assert [tindeq_command(c) for c in ("tare", "start", "stop", "battery")] == [b"\x64", b"\x65", b"\x66", b"\x6f"]
    items = TindeqDecoder().feed(encode_tindeq_response(3987))
    assert items == [TindeqResponse("response", 3987, (3987).to_bytes(4, "little"))]


def test_garbage_between_messages_is_skipped() -> None:
    dec = TindeqDecoder()
    data = encode_tindeq_weights([1.0], [10]) + b"\xff\x99" + encode_tindeq_weights([2.0], [20])
    assert samples_of(dec.feed(data)).raw[:, 0].tolist() == [1.0, 2.0]
    assert dec.stats.bytes_discarded == 2


def test_stream_info_has_one_kg_channel() -> None:
    info = tindeq_stream_info("ble:Progressor_1234", "AA:BB:CC:DD:EE:FF")
    assert [(c.name, c.unit) for c in info.channels] == [("load", "kg")] and info.rate_hz == 80.0

"""Property tests: any bytes, any chunking. Decoders never raise, keep bounded memory, and
feeding byte by byte (or in random pieces) gives the same items and counts as feeding at once."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smr_sense.core.samples import Channel
from smr_sense.core.wire import (
    DeviceInfo,
    ReferenceDecoder,
    TextLineDecoder,
    TindeqDecoder,
    encode_device_info,
    encode_frames,
    encode_reply,
    encode_tindeq_weights,
)
from smr_sense.core.wire.protocol import MAX_PAYLOAD
from smr_sense.errors import SmrError
from tests.wire_helpers import canonical, feed_chunks, samples_of

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INFO = DeviceInfo("dev", "dev", "1.0.0", 100.0, (Channel("a"), Channel("b")), has_gyro=True)


def valid_stream(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    n = 40
    t_us = (2**32 - 200_000 + np.arange(n) * 10_000) % 2**32
    values = rng.integers(-1000, 1000, size=(n, 2))
    gyro = rng.uniform(-100, 100, size=(n, 3))
    return (
        encode_device_info(INFO)
        + encode_frames(65530, t_us[:20], values[:20], gyro[:20])
        + encode_reply("start", 3)
        + encode_frames(65550, t_us[20:], values[20:], gyro[20:])
    )


def corrupt(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, junk in edits:
        if not out:
            break
        i = where % len(out)
        if kind == 0:
            out[i] ^= junk[0] if junk else 0xFF
        elif kind == 1:
            out[i:i] = junk
        else:
            del out[i : i + 1 + len(junk)]
    return bytes(out)


edits_st = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.binary(min_size=1, max_size=12)), max_size=6)


def same_either_way(make, data: bytes, cuts: list[int]) -> None:
    whole = make()
    whole_items = whole.feed(data)
    pieces = make()
    piece_items = feed_chunks(pieces, data, cuts)
    assert canonical(whole_items) == canonical(piece_items)
    assert whole.stats == pieces.stats


@FUZZ
@given(data=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 3000), max_size=20))
def test_random_bytes_never_break_any_decoder(data: bytes, cuts: list[int]) -> None:
    for make in (ReferenceDecoder, lambda: TextLineDecoder(rate_hz=10.0), TindeqDecoder):
        try:
            same_either_way(make, data, cuts)
        except SmrError:
            pass


@FUZZ
@given(seed=st.integers(0, 1000), edits=edits_st, cuts=st.lists(st.integers(0, 2000), max_size=30))
def test_corrupted_reference_stream_same_in_any_chunking(seed: int, edits, cuts: list[int]) -> None:
    data = corrupt(valid_stream(seed), edits)
    same_either_way(ReferenceDecoder, data, cuts)
    dec = ReferenceDecoder()
    block = samples_of(dec.feed(data))
    assert np.all(np.diff(block.t_s) >= 0)
    assert dec.buffered <= 8 + MAX_PAYLOAD


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000))
def test_byte_at_a_time_equals_whole_buffer(seed: int) -> None:
    data = valid_stream(seed)
    whole = ReferenceDecoder()
    expected = canonical(whole.feed(data))
    dec = ReferenceDecoder()
    items = []
    for i in range(len(data)):
        items += dec.feed(data[i : i + 1])
    assert canonical(items) == expected
    assert dec.stats == whole.stats and whole.stats.frames == 42 and whole.stats.lost == 0


@FUZZ
@given(edits=edits_st, cuts=st.lists(st.integers(0, 600), max_size=30))
def test_corrupted_text_and_tindeq_streams_same_in_any_chunking(edits, cuts: list[int]) -> None:
    text = "".join(f"t_ms:{(2**32 - 50 + 10 * i) % 2**32},load:{i},gx:1,gy:2,gz:{i}\r\n" for i in range(25))
    same_either_way(TextLineDecoder, corrupt(text.encode(), edits), cuts)
    tindeq = b"".join(encode_tindeq_weights([float(i), i + 0.5], [1000 * i, 1000 * i + 500]) for i in range(25))
    same_either_way(TindeqDecoder, corrupt(tindeq, edits), cuts)

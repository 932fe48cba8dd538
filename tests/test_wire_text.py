"""Text lines from hobby sketches: Serial Plotter, plain numbers, CSV with header."""

from __future__ import annotations

import numpy as np
import pytest

from smr_sense.core.samples import SampleBlock, StreamInfo
from smr_sense.core.wire import TextLineDecoder, WireError
from tests.wire_helpers import samples_of


def infos(items: list) -> list[StreamInfo]:
    return [i for i in items if isinstance(i, StreamInfo)]


def test_plotter_labels_name_the_channels_and_samples_are_counted_at_the_rate() -> None:
    dec = TextLineDecoder(rate_hz=80.0, source="serial:/dev/ttyACM0", device_id="nano")
    items = dec.feed(b"load:100,fsr_2:7\r\nload:101,fsr_2:8\r\nload:102,fsr_2:9\r\n")
    (info,) = infos(items)
    assert [c.name for c in info.channels] == ["load", "fsr_2"]
    assert info.channels[1].sensor == "fsr" and info.source == "serial:/dev/ttyACM0"
    block = samples_of(items)
    assert block.raw.tolist() == [[100, 7], [101, 8], [102, 9]]
    np.testing.assert_allclose(block.t_s, [0, 0.0125, 0.025])


def test_plain_numbers_with_any_separator() -> None:
    dec = TextLineDecoder(rate_hz=10.0)
    block = samples_of(dec.feed(b"1 2 3\n4,5,6\n7\t8\t9\n"))
    assert block.raw.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [c.name for c in dec.info.channels] == ["ch0", "ch1", "ch2"]


def test_csv_header_gives_names_time_and_imu_blocks() -> None:
    text = b"t_ms,left_n,right_kg,gx,gy,gz\n1000,10.5,2,1,2,3\n1010,11.5,2.5,4,5,6\n1020,12,3,7,8,9\n"
    dec = TextLineDecoder(format="csv")
    items = dec.feed(text)
    (info,) = infos(items)
    assert [(c.name, c.unit) for c in info.channels] == [("left_n", "N"), ("right_kg", "kg")]
    assert info.has_gyro and not info.has_accel
    assert info.rate_hz == pytest.approx(100.0)  # read off the time column
    block = samples_of(items)
    np.testing.assert_allclose(block.t_s, [1.0, 1.01, 1.02])
    assert block.gyro_dps.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert block.raw.tolist() == [[10.5, 2], [11.5, 2.5], [12, 3]]


def test_millis_counter_wrap_is_unwrapped() -> None:
    start = 2**32 - 20
    lines = "".join(f"millis:{(start + 10 * i) % 2**32},load:{i}\n" for i in range(5)).encode()
    block = samples_of(TextLineDecoder().feed(lines))
    np.testing.assert_allclose(np.diff(block.t_s), 0.01)


def test_partial_first_line_and_debug_prints_never_become_channels() -> None:
    dec = TextLineDecoder(rate_hz=50.0)
    items = dec.feed(b"3,456\nHX711 ready\n123,456,789\n124,457,790\nTaring...\n125,458,791\n")
    assert len(infos(items)) == 1 and dec.info.n_channels == 3
    assert samples_of(items).raw[:, 0].tolist() == [123, 124, 125]
    assert [c.name for c in dec.info.channels] == ["ch0", "ch1", "ch2"]


def test_csv_format_needs_a_header() -> None:
    dec = TextLineDecoder(format="csv", rate_hz=10.0)
    assert dec.feed(b"1,2\n3,4\n") == []
    items = dec.feed(b"a,b\n5,6\n")
    assert samples_of(items).raw.tolist() == [[5, 6]]


def test_layout_change_announces_a_new_stream_info() -> None:
    dec = TextLineDecoder(rate_hz=10.0)
    items = dec.feed(b"a:1\na:2\na:3,b:4\na:5,b:6\n")
    assert [[c.name for c in i.channels] for i in infos(items)] == [["a"], ["a", "b"]]
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    assert [len(b) for b in blocks] == [2, 2]
    assert np.all(np.diff(np.concatenate([b.t_s for b in blocks])) > 0)


def test_overlong_lines_are_dropped_and_memory_stays_bounded() -> None:
    dec = TextLineDecoder(rate_hz=10.0, max_line_bytes=64)
    for _ in range(100):
        dec.feed(b"9" * 1000)
    assert len(dec._partial) <= 64
    items = dec.feed(b"\n1,2\n3,4\n")
    assert samples_of(items).raw.tolist() == [[1, 2], [3, 4]]
    assert dec.stats.corrupt == 1


def test_binary_garbage_lines_are_counted_not_raised() -> None:
    dec = TextLineDecoder(rate_hz=10.0)
    items = dec.feed(b"\xff\xfe\x00\n1:2:3\nx:abc\n1,2\n3,4\n")
    assert samples_of(items).raw.tolist() == [[1, 2], [3, 4]]
    assert dec.stats.corrupt == 3


def test_unknown_format_is_a_project_error() -> None:
    with pytest.raises(WireError):
        TextLineDecoder(format="json")


def test_a_garbled_time_stamp_is_a_corrupt_line_not_a_crash() -> None:
    dec = TextLineDecoder()
    block = samples_of(dec.feed(b"t_ms:1,a:2\nt_ms:1e308,a:3\nt_ms:5,a:4\n"))
    np.testing.assert_allclose(block.t_s, [0.001, 0.005])
    assert dec.stats.corrupt == 1


def test_a_rate_read_off_a_glitched_time_step_outside_what_rollers_stream_is_not_believed() -> None:
    # Two stamps 1 µs apart would be a 1 MHz stream: every detector window would be millions of
    # samples long. Outside 5-2000 Hz the nominal rate falls back to the default; times still count.
    dec = TextLineDecoder(format="csv")
    items = dec.feed(b"t_s,load\n0.0,1\n0.000001,2\n0.01,3\n0.02,4\n")
    (info,) = infos(items)
    assert info.rate_hz == 50.0
    np.testing.assert_allclose(samples_of(items).t_s, [0.0, 0.000001, 0.01, 0.02])
    slow = TextLineDecoder(format="csv")
    (info,) = infos(slow.feed(b"t_s,load\n0,1\n30,2\n"))  # a sketch that paused for 30 s
    assert info.rate_hz == 50.0

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
    rows = b"1000,10.5,2,1,2,3\n1010,11.5,2.5,4,5,6\n1020,12,3,7,8,9\n"
    rows += b"".join(b"%d,13,3,0,0,0\n" % (1030 + 10 * i) for i in range(13))  # the rate is read off 16 stamps
    dec = TextLineDecoder(format="csv")
    items = dec.feed(b"t_ms,left_n,right_kg,gx,gy,gz\n" + rows)
    (info,) = infos(items)
    assert [(c.name, c.unit) for c in info.channels] == [("left_n", "N"), ("right_kg", "kg")]
    assert info.has_gyro and not info.has_accel
    assert info.rate_hz == pytest.approx(100.0)  # read off the time column
    block = samples_of(items)
    np.testing.assert_allclose(block.t_s, 1.0 + 0.01 * np.arange(16))
    assert block.gyro_dps[:3].tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert block.raw[:3].tolist() == [[10.5, 2], [11.5, 2.5], [12, 3]]


def test_millis_counter_wrap_is_unwrapped() -> None:
    start = 2**32 - 20
    lines = "".join(f"millis:{(start + 10 * i) % 2**32},load:{i}\n" for i in range(20)).encode()
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
    assert len(dec._lines.partial) <= 64
    items = dec.feed(b"\n1,2\n3,4\n")
    assert samples_of(items).raw.tolist() == [[1, 2], [3, 4]]
    assert dec.stats.corrupt == 1


def test_binary_garbage_lines_are_counted_not_raised() -> None:
    dec = TextLineDecoder(rate_hz=10.0)
    items = dec.feed(b"\xff\xfe\x00\n1:2:3\nx:abc\n1,2\n3,4\n")
    assert samples_of(items).raw.tolist() == [[1, 2], [3, 4]]
    assert dec.stats.corrupt == 2  # "x:abc" has a word in it: a message, skipped
    assert dec.stats.extra["lines_skipped"] == 1 and dec.stats.lost == 0  # before the stream began


def test_unknown_format_is_a_project_error() -> None:
    with pytest.raises(WireError):
        TextLineDecoder(format="json")


def test_a_garbled_time_stamp_is_a_corrupt_line_not_a_crash() -> None:
    dec = TextLineDecoder()
    more = b"".join(b"t_ms:%d,a:5\n" % (10 + 5 * i) for i in range(14))
    block = samples_of(dec.feed(b"t_ms:1,a:2\nt_ms:1e308,a:3\nt_ms:5,a:4\n" + more))
    np.testing.assert_allclose(block.t_s[:3], [0.001, 0.005, 0.010])
    assert dec.stats.corrupt == 1


def test_a_rate_read_off_time_stamps_outside_what_rollers_stream_is_not_believed() -> None:
    # Stamps 1 µs apart would be a 1 MHz stream: every detector window would be millions of samples
    # long. Outside 5-2000 Hz the nominal rate falls back to the default; times still count.
    dec = TextLineDecoder(format="csv")
    stamps = [i * 1e-6 for i in range(16)]
    items = dec.feed(b"t_s,load\n" + b"".join(b"%.6f,1\n" % t for t in stamps))
    (info,) = infos(items)
    assert info.rate_hz == 50.0
    np.testing.assert_allclose(samples_of(items).t_s, stamps)
    slow = TextLineDecoder(format="csv")
    (info,) = infos(slow.feed(b"t_s,load\n" + b"".join(b"%d,1\n" % (30 * i) for i in range(5))))  # one line in 30 s
    assert info.rate_hz == 50.0


# --- damaged lines keep their time slot --------------------------------------------------------


def test_a_damaged_line_is_a_lost_sample_that_keeps_its_time_slot() -> None:
    # Without a time column samples are timed by counting them: half the lines garbled read 10.6 s
    # of a session as 5.26 s. Each damaged line is a lost sample; a debug print takes no slot.
    lines = [
        b"10,1",
        b"\x00\x00",  # garbled bytes, even between the two rows that show the layout
        b"12,1",
        b"1\xff,1",  # garbled bytes
        b"14,1",
        b"15,1x",  # the layout's shape, a field no number
        b"16,1",
        b"HX711: tare done",  # a debug print: no sample, no slot
        b"17,1",
        b"18",  # a row cut short, not repeated by the next
        b"19,1",
        b"2.0.,1.",  # numbers and garble, no word
        b"21,1",
        b"9" * 2000,  # overlong
        b"23,1",
    ]  # fmt: skip
    dec = TextLineDecoder(rate_hz=100.0)
    block = samples_of(dec.feed(b"\n".join(lines) + b"\n"))
    assert block.raw[:, 0].tolist() == [10, 12, 14, 16, 17, 19, 21, 23]
    # each sample at the slot its line would have had: 11, 13, 15, 18, 20 and 22 are lost, not skipped over
    np.testing.assert_allclose(block.t_s * 100.0, [0, 2, 4, 6, 7, 9, 11, 13])
    assert dec.stats.lost == 6 and dec.stats.corrupt == 6 and dec.stats.extra["lines_skipped"] == 1


def test_the_same_damage_with_a_time_column_is_counted_and_the_device_times_the_rest() -> None:
    rows = [b"t_ms:%d,load:%d" % (10 * i, i) for i in range(20)]
    rows[17] = b"t_ms:170,load:1\xfe"
    rows[18] = b"t_ms:180,load:"
    dec = TextLineDecoder()
    block = samples_of(dec.feed(b"\n".join(rows) + b"\n"))
    expected = [i for i in range(20) if i not in (17, 18)]
    np.testing.assert_allclose(block.t_s, np.array(expected) * 0.01)
    assert block.raw[:, 0].tolist() == expected
    assert dec.stats.lost == 2 and dec.stats.corrupt == 2


def test_a_row_of_another_width_is_a_new_layout_only_when_the_next_row_repeats_it() -> None:
    # A row cut short here and there must not add up to a layout: before, the second one, however
    # far from the first, was taken as the sketch's new columns (and a serial session ended).
    # A one-word debug print reads as a header; a row cut short after it is still not a new layout.
    dec = TextLineDecoder(rate_hz=10.0)
    items = dec.feed(b"1,2\n3,4\n5\n6,7\n8\n9,10\nTaring...\n11\n12,13\n")
    assert len(infos(items)) == 1 and samples_of(items).raw[:, 0].tolist() == [1, 3, 6, 9, 12]
    np.testing.assert_allclose(samples_of(items).t_s, [0, 0.1, 0.3, 0.5, 0.7])
    assert dec.stats.lost == 3
    items = dec.feed(b"14\n15\n16\n")
    assert [[c.name for c in i.channels] for i in infos(items)] == [["Taring..."]]
    assert samples_of(items).raw[:, 0].tolist() == [14, 15, 16] and dec.stats.lost == 3


def test_values_the_sketch_printed_as_missing_are_missing_values_not_lost_samples() -> None:
    # Arduino prints nan (or inf, ovf) for a float it has no value for: the other columns and the
    # time are still the sample's; the pipeline holds a missing value at the last good one.
    dec = TextLineDecoder(rate_hz=10.0)
    block = samples_of(dec.feed(b"1,2\n3,nan\n5,ovf\ninf,8\n9,10\n"))
    assert np.isnan(block.raw[1:4]).tolist() == [[False, True], [False, True], [True, False]]
    np.testing.assert_allclose(block.t_s, [0, 0.1, 0.2, 0.3, 0.4])
    assert dec.stats.lost == 0 and dec.stats.corrupt == 0


# --- the nominal rate ------------------------------------------------------------------------------


def test_the_rate_is_read_from_several_stamps_not_the_first_step() -> None:
    # A 100 Hz loop stamped in ms: its first step was 8 ms, announced as 125 Hz (analyze measured 100).
    steps = [8, 12, 10, 9, 11, 10, 10, 9, 11, 10, 250, 10, 9, 11, 10]  # jitter, and one pause
    stamps = np.concatenate([[1000], 1000 + np.cumsum(steps)])
    dec = TextLineDecoder()
    items = dec.feed(b"".join(b"t_ms:%d,load:1\n" % t for t in stamps[:-1]))
    assert infos(items) == []  # held until the rate is known: it sizes the detector's windows
    (info,) = infos(dec.feed(b"t_ms:%d,load:1\n" % stamps[-1]))
    assert info.rate_hz == pytest.approx(100.0, rel=0.01)
    three_hundred = np.round(np.arange(16) * 1000 / 300)  # 3, 3, 4 ms ...: no median of whole ms
    (info,) = infos(TextLineDecoder().feed(b"".join(b"ms,load\n" if i < 0 else b"%d,1\n" % three_hundred[i] for i in range(-1, 16))))
    assert info.rate_hz == pytest.approx(300.0, rel=0.02)


def test_a_slow_stream_is_described_once_its_stamps_span_half_a_second() -> None:
    dec = TextLineDecoder()
    assert infos(dec.feed(b"".join(b"t_s:%.1f,load:1\n" % (0.2 * i) for i in range(4)))) == []
    (info,) = infos(dec.feed(b"t_s:0.8,load:1\n"))
    assert info.rate_hz == pytest.approx(5.0)


# --- headers and named columns ---------------------------------------------------------------------


def test_plain_numbers_wait_for_a_header_to_name_them_time_column_and_all() -> None:
    # The host opened the port after the sketch printed its header: the rows must not become
    # ch0, ch1, ch2 with the time as a force, when the sketch prints its header again a moment later.
    dec = TextLineDecoder(await_header=True)
    rows = b"".join(b"%d,%d,56\n" % (10 * i, 1000 + i) for i in range(1, 11))
    assert dec.feed(rows) == []
    items = dec.feed(b"t_ms,left,right\n" + b"".join(b"%d,%d,56\n" % (10 * i, 1000 + i) for i in range(11, 20)))
    (info,) = infos(items)
    assert [c.name for c in info.channels] == ["left", "right"] and info.extra["names"] == "header"
    block = samples_of(items)
    np.testing.assert_allclose(block.t_s, 0.01 * np.arange(1, 20))  # the held rows are named too
    assert block.raw[:, 0].tolist() == list(range(1001, 1020)) and info.rate_hz == pytest.approx(100.0)


def test_with_no_header_in_time_plain_numbers_are_named_by_position() -> None:
    dec = TextLineDecoder(rate_hz=10.0, await_header=True)
    assert dec.feed(b"1,2\n3,4\n") == []
    items = dec.stop_awaiting_header()
    assert [c.name for c in infos(items)[0].channels] == ["ch0", "ch1"]
    assert samples_of(items).raw.tolist() == [[1, 2], [3, 4]]


def test_columns_given_name_the_rows_and_a_header_printed_does_not_override_them() -> None:
    dec = TextLineDecoder(rate_hz=None, columns=("t_ms", "left_n", "right_n"), await_header=True)
    text = b"3,4\n" + b"".join(b"%d,%d,56\n" % (10 * i, i) for i in range(20)) + b"time,a,b\n20,5,6\n"
    items = dec.feed(text)
    (info,) = infos(items)
    assert [(c.name, c.unit) for c in info.channels] == [("left_n", "N"), ("right_n", "N")]
    assert info.extra["names"] == "columns" and info.extra["device_time"]
    np.testing.assert_allclose(samples_of(items).t_s[-2:], [0.19, 0.2])


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (b"t_ms,left,right", b"%d,%d,56", b"starting calibration now"),  # words spaced, rows with commas
        (b"t_ms\tleft\tright", b"%d\t%d\t56", b"starting calibration now"),
        (b"left,right", b"%d,56", b"Taring now"),  # no time column: the separator alone tells
        # spaced like the rows, or with a comma like them: the time column the words do not name tells
        (b"t_ms left right", b"%d %d 56", b"starting calibration now"),
        (b"t_ms,left,right", b"%d,%d,56", b"calibrating, please wait"),
    ],
)
def test_a_debug_print_as_many_words_as_the_rows_have_columns_is_no_header(header, rows, message) -> None:
    # The words were read as the sketch's new columns, two rows later: the time column became a
    # force, and over a serial link the session ended as the sketch "changed its channels".
    def row(i: int) -> bytes:
        return rows % ((10 * i, 1000 + i) if rows.count(b"%d") == 2 else (1000 + i,))

    dec = TextLineDecoder(rate_hz=None if b"t_ms" in header else 100.0)
    text = [header, row(0), message] + [row(i) for i in range(1, 20)]  # before the rate is read ...
    text += [message] + [row(i) for i in range(20, 30)]  # ... after ...
    text += [header, message, row(30)]  # ... and after the header printed again
    items = dec.feed(b"\n".join(text) + b"\n")
    (info,) = infos(items)
    assert [c.name for c in info.channels] == ["left", "right"]
    block = samples_of(items)
    assert block.raw[:, 0].tolist() == [1000 + i for i in range(31)]
    np.testing.assert_allclose(block.t_s, 0.01 * np.arange(31))
    assert dec.stats.lost == 0 and dec.stats.corrupt == 0


def test_a_debug_print_does_not_name_the_rows_held_for_a_header() -> None:
    # Plain numbers wait for the header the sketch prints every second; a debug print as wide named
    # them first, and the header that came next was a change of layout.
    dec = TextLineDecoder(await_header=True)
    rows = [b"%d,%d,56\n" % (10 * i, 1000 + i) for i in range(20)]
    assert dec.feed(b"".join(rows[:5]) + b"starting calibration now\n" + b"".join(rows[5:10])) == []
    items = dec.feed(b"t_ms,left,right\n" + b"".join(rows[10:]))
    (info,) = infos(items)
    assert [c.name for c in info.channels] == ["left", "right"] and info.extra["names"] == "header"
    np.testing.assert_allclose(samples_of(items).t_s, 0.01 * np.arange(20))


def test_a_header_printed_again_changes_nothing_and_a_new_one_is_followed() -> None:
    dec = TextLineDecoder()
    rows = [b"%d,%d,56\n" % (10 * i, 1000 + i) for i in range(60)]
    text = b"".join((b"t_ms,left,right\n" if i % 10 == 0 else b"") + r for i, r in enumerate(rows[:40]))
    items = dec.feed(text + b"starting calibration now\n")
    assert [[c.name for c in i.channels] for i in infos(items)] == [["left", "right"]]
    # The sketch now prints its forces in newtons, the same width, with its time column.
    items = dec.feed(b"t_ms,left_n,right_n\n" + b"".join(rows[40:]))
    assert [[c.name for c in i.channels] for i in infos(items)] == [["left_n", "right_n"]]
    assert dec.stats.lost == 0 and len(samples_of(items)) == 20


def test_bad_columns_are_a_project_error() -> None:
    with pytest.raises(WireError, match="names a column twice"):
        TextLineDecoder(columns=("t_ms", "a", "a"))
    with pytest.raises(WireError, match="no pressure channel"):
        TextLineDecoder(columns=("t_ms", "gx", "gy", "gz"))


def test_a_header_known_from_before_names_rows_at_once() -> None:
    # A reconnect: the sketch printed its header at boot, long ago; its rows keep their names.
    dec = TextLineDecoder(rate_hz=100.0, header=("left", "right"), await_header=True)
    items = dec.feed(b"1,2\n")
    assert [c.name for c in infos(items)[0].channels] == ["left", "right"] and len(samples_of(items)) == 1

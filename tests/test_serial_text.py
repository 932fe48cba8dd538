"""Text sketches on a real pseudo-terminal, read by the real serial source: headers printed before
the port was opened or printed again, columns named in the source, damaged lines, and what the
host says about a reference firmware whose frames decode but that never describes itself."""

import asyncio
import os

import numpy as np
import pytest

from smr_sense.core.samples import Channel
from smr_sense.core.wire import DeviceInfo, encode_device_info, encode_frames
from smr_sense.sources import SourceError, make_source
from link_helpers import WAIT_S, PrintingSketch, n_samples, read_sketch, samples, take

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


def csv_row(i):
    """Row i of a sketch printing ``t_ms,left_n,right_n`` every 10 ms of its own clock."""
    return b"%d,%d.5,56\r\n" % (10 * i, 100 + i)


async def test_a_sketch_repeating_its_header_is_named_by_it_and_goes_on():
    # The header it printed at boot is gone (the host empties the port's input on opening); it
    # prints it again every 40 lines. The rows were read as ch0, ch1, ch2, the time as a force,
    # and the header, when it came again, ended the session as a change of channels.
    def line_of(i):
        return (b"t_ms,left_n,right_n\r\n" if i % 40 == 20 else b"") + csv_row(i)

    source, info, got, _ = await read_sketch(line_of, until_samples=200)  # five headers more
    assert [(c.name, c.unit) for c in info.channels] == [("left_n", "N"), ("right_n", "N")]
    assert info.rate_hz == pytest.approx(100.0) and source.warnings == []
    first = int(got.raw[0, 0] - 100.5)
    np.testing.assert_allclose(got.t_s, 0.01 * np.arange(first, first + len(got)))
    np.testing.assert_array_equal(got.raw[:, 1], 56.0)


async def test_a_debug_print_as_many_words_as_the_columns_does_not_end_the_session():
    # "starting calibration now", three words among rows of three columns, was read as the
    # sketch's new header: the session ended as a change of channels after two more rows.
    def line_of(i):
        said = b"t_ms,left_n,right_n\r\n" if i % 40 == 20 else b"starting calibration now\r\n" if i % 40 == 30 else b""
        return said + csv_row(i)

    source, info, got, _ = await read_sketch(line_of, until_samples=200)
    assert [c.name for c in info.channels] == ["left_n", "right_n"] and source.warnings == []
    first = int(got.raw[0, 0] - 100.5)
    np.testing.assert_allclose(got.t_s, 0.01 * np.arange(first, first + len(got)))


async def test_columns_named_in_the_source_read_a_sketch_that_never_prints_its_header():
    _, info, got, _ = await read_sketch(csv_row, "?columns=t_ms,left_n,right_n", until_samples=30)
    assert [c.name for c in info.channels] == ["left_n", "right_n"] and info.extra["device_time"]
    first = int(got.raw[0, 0] - 100.5)
    np.testing.assert_allclose(got.t_s, 0.01 * np.arange(first, first + len(got)))


async def test_plain_numbers_no_header_named_are_read_by_position_with_a_warning_that_says_so():
    # A header printed once at boot is gone: its time column would be a force, and nothing said so.
    source, info, _, path = await read_sketch(csv_row, "?timeout=0.6&rate=100")
    assert [c.name for c in info.channels] == ["ch0", "ch1", "ch2"]
    assert source.warnings == [
        f"serial:{path}?timeout=0.6&rate=100 printed no header naming its columns, so they are read as ch0, ch1, "
        f"ch2; if its sketch prints one only when it starts, name them in the source "
        f"(serial:{path}?timeout=0.6&rate=100&columns=NAME,NAME,NAME), or a time column is read as a force"
    ]


async def test_a_header_that_comes_too_late_ends_the_session_saying_how_to_name_the_columns():
    # No header within the wait (half the 0.6 s timeout here): the rows are ch0, ch1, ch2. Then the
    # sketch names them: what was read is kept, and the sentence says how to read them right.
    sketch = PrintingSketch(lambda i: (b"t_ms,left_n,right_n\r\n" if i == 400 else b"") + csv_row(i))
    try:
        source = make_source(f"serial:{sketch.link.slave_path}?timeout=0.6&rate=100")
        info = await source.open()

        async def drain():
            async for _ in source:
                pass

        with pytest.raises(SourceError) as err:
            await asyncio.wait_for(drain(), WAIT_S)
        await source.close()
    finally:
        sketch.close()
    assert [c.name for c in info.channels] == ["ch0", "ch1", "ch2"]
    path = sketch.link.slave_path
    assert str(err.value) == (
        f"the serial port {path} printed its column names (t_ms, left_n, right_n) only after its lines had "
        f"been read as ch0, ch1, ch2; start again with the columns named "
        f"(serial:{path}?timeout=0.6&rate=100&columns=t_ms,left_n,right_n), or have the sketch print its "
        "header every second"
    )


async def test_damaged_lines_keep_their_time_slots_and_count_against_the_link():
    # No time column: samples are timed by counting them, so half the lines garbled recorded 10.6 s
    # of a session as 5.26 s. Each line printed is one 5 ms slot, whole or not.
    damage = [b"load:%d\r\n", b"lo\xffd:%d\r\n", b"load:%d\r\n", b"load:%dq\r\n", b"load:%d\r\n", b"load:\r\n"]

    def line_of(i):
        pattern = damage[i % len(damage)]
        return pattern % i if b"%d" in pattern else pattern

    sketch = PrintingSketch(line_of)
    try:
        source = make_source(f"serial:{sketch.link.slave_path}?rate=200")
        await source.open()
        got = samples(await take(source, lambda items: n_samples(items) >= 60))
        await source.close()
    finally:
        sketch.close()
    printed = got.raw[:, 0].astype(int)
    assert np.all(printed % 2 == 0)  # only the whole lines
    np.testing.assert_allclose(got.t_s - got.t_s[0], (printed - printed[0]) / 200.0)
    between = int(printed[-1] - printed[0]) - (len(got) - 1)  # the damaged lines among those taken
    assert between == len(got) - 1 and source.stats.lost >= between and source.stats.corrupt >= source.stats.lost


@pytest.mark.parametrize(
    "opening, what",
    [
        (b"", "frames arrived but no device information: the firmware must send it in reply to get_info"),
        (
            encode_device_info(DeviceInfo("d", "d", "1.0.0", 0.0, (Channel("load"),))),
            "the device information it sent could not be read (its sample rate is 0 Hz",
        ),
    ],
)
async def test_frames_that_decode_are_not_blamed_on_the_baud_rate(opening, what):
    # A firmware that never answers get_info, or whose description gives 0 Hz: its frames decode
    # fine, and "check baud" sent its maker the wrong way.
    def frame_of(i):
        frame = encode_frames(i, np.array([1000 * i]), np.array([[float(i)]]))
        return opening + frame if i % 20 == 0 else frame

    sketch = PrintingSketch(frame_of)
    try:
        with pytest.raises(SourceError) as err:
            await make_source(f"serial:{sketch.link.slave_path}?timeout=0.5").open()
    finally:
        sketch.close()
    assert what in str(err.value) and "baud" not in str(err.value)

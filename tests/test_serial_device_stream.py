"""DeviceStream, the pure middle of the serial and BLE sources: bytes and host time in, items out."""

import numpy as np

from smr_sense.core.samples import Channel, Marker, SampleBlock
from smr_sense.core.wire import DeviceInfo, encode_device_info, encode_frames
from smr_sense.devices import get_profile
from smr_sense.devices.stream import DeviceStream

INFO = DeviceInfo("dev-1", "Roller", "1.0.0", 100.0, (Channel("load"),))


def frames(seq, t_us, values):
    return encode_frames(seq, np.asarray(t_us), np.asarray(values, dtype=float).reshape(-1, 1))


def blocks(items):
    return SampleBlock.concat([i for i in items if isinstance(i, SampleBlock)], 1)


def test_samples_wait_for_the_description_and_get_host_time():
    stream = DeviceStream(get_profile("reference"), "serial:x", "serial:x", "x")
    early = stream.feed(frames(0, [1000, 11000], [1, 2]), host_t_s=50.0)
    assert early == [] and stream.info is None and not stream.ready
    items = stream.feed(encode_device_info(INFO) + frames(2, [21000, 31000], [3, 4]), host_t_s=51.0)
    assert stream.ready and stream.info.device_id == "dev-1" and stream.info.extra["profile"] == "reference"
    got = blocks(items)
    assert got.raw[:, 0].tolist() == [3, 4] and got.t_s.tolist() == [0.021, 0.031]
    assert got.host_t_s.tolist() == [51.0, 51.0]


def test_a_device_that_restarts_its_clock_keeps_stream_time_increasing():
    stream = DeviceStream(get_profile("reference"), "s", "s", "s")
    stream.feed(encode_device_info(INFO) + frames(0, [5_000_000, 5_010_000], [1, 2]), host_t_s=100.0)
    gone = stream.link_lost(host_t_s=100.5, reason="unplugged")
    assert gone == Marker(5.01, "disconnected", {"reason": "unplugged"})
    stream.link_restored()
    assert not stream.ready
    items = stream.feed(encode_device_info(INFO) + frames(0, [1_000, 11_000], [3, 4]), host_t_s=103.0)
    marker, block = items
    assert marker.kind == "reconnected" and marker.data["offline_s"] == 3.0
    assert block.t_s.tolist() == [5.01 + 3.0, 5.01 + 3.0 + 0.01]
    assert marker.t_s == block.t_s[0] and marker.data["gap_s"] == 3.0


def test_a_device_whose_clock_ran_on_keeps_its_own_time():
    stream = DeviceStream(get_profile("reference"), "s", "s", "s")
    stream.feed(encode_device_info(INFO) + frames(0, [5_000_000], [1]), host_t_s=100.0)
    stream.link_lost(host_t_s=100.1, reason="out of range")
    stream.link_restored()
    marker, block = stream.feed(encode_device_info(INFO) + frames(40, [7_000_000], [2]), host_t_s=102.0)
    assert block.t_s.tolist() == [7.0] and marker.data["gap_s"] == 2.0


def test_another_layout_on_the_same_link_is_marked_and_its_samples_dropped():
    stream = DeviceStream(get_profile("reference"), "s", "s", "s")
    stream.feed(encode_device_info(INFO) + frames(0, [1000], [1]), host_t_s=1.0)
    two = DeviceInfo("dev-1", "Roller", "1.1.0", 100.0, (Channel("a"), Channel("b")))  # reflashed
    wide = encode_frames(1, np.array([2000]), np.array([[1.0, 2.0]]))
    items = stream.feed(encode_device_info(two) + wide, host_t_s=2.0)
    assert [i.kind for i in items] == ["layout_changed"] and items[0].data == {"channels": ["a", "b"]}
    assert stream.corrupt == 1


def test_another_device_is_refused_with_a_sentence_until_the_next_connection():
    stream = DeviceStream(get_profile("reference"), "serial:/dev/ttyACM0", "s", "s")
    stream.feed(encode_device_info(INFO) + frames(0, [1000], [1]), host_t_s=1.0)
    other = DeviceInfo("dev-2", "Roller", "1.0.0", 100.0, (Channel("load"),))  # same layout, another roller
    assert stream.feed(encode_device_info(other) + frames(1, [2000], [2]), host_t_s=2.0) == []
    assert stream.refused == "another device answered on serial:/dev/ttyACM0 (id dev-2, not dev-1): " \
        "waiting for the session's roller"
    assert not stream.ready and stream.info.device_id == "dev-1"
    stream.link_lost(3.0, "unplugged")
    stream.link_restored()
    assert stream.refused is None
    items = stream.feed(encode_device_info(INFO) + frames(2, [3000], [3]), host_t_s=4.0)
    assert blocks(items).raw.tolist() == [[3]]  # ours again


def test_auto_tells_text_from_frames_and_keeps_its_choice():
    stream = DeviceStream(get_profile("auto", "serial"), "s", "s", "s")
    items = stream.feed(b"junk\nload:1,g:2\nload:3,g:4\n", host_t_s=1.0)
    assert stream.format == "text" and [c.name for c in stream.info.channels] == ["load", "g"]
    assert blocks(items).raw.tolist() == [[1, 2], [3, 4]]
    stream.link_lost(2.0, "unplugged")
    stream.link_restored()
    assert stream.format == "text" and stream._decoder is not None


def text_rows(first, n, header_every=None):
    """A sketch's CSV rows ``t_ms,left,right`` (100 Hz), its header before every ``header_every``-th."""
    out = b""
    for i in range(first, first + n):
        if header_every and i % header_every == 0:
            out += b"t_ms,left,right\r\n"
        out += b"%d,%d,56\r\n" % (10 * i, 1000 + i)
    return out


def test_a_header_missed_on_opening_names_the_rows_once_the_sketch_prints_it_again():
    # The host opened the port after the header (it empties the input on opening): the rows were
    # read as ch0, ch1, ch2, the time a force, and the header printed again ended the session.
    stream = DeviceStream(get_profile("auto", "serial"), "s", "s", "s")
    items = stream.feed(text_rows(3, 50, header_every=None), host_t_s=1.0)
    assert items == [] and not stream.ready  # waiting for the header that names them
    items = stream.feed(text_rows(53, 100, header_every=50), host_t_s=1.5)  # the header, then again
    assert stream.ready and [c.name for c in stream.info.channels] == ["left", "right"]
    assert stream.new_layout is None and stream.info.extra["device_time"]
    got = blocks(items)
    np.testing.assert_allclose(got.t_s, 0.01 * np.arange(3, 153))
    assert got.raw[:, 0].tolist() == list(range(1003, 1153))


def test_with_no_header_in_time_a_late_one_is_a_layout_change_that_names_the_columns():
    stream = DeviceStream(get_profile("text", "serial"), "s", "s", "s", text_rate_hz=100.0, header_wait_s=1.5)
    assert stream.feed(text_rows(0, 10), host_t_s=1.0) == []
    items = stream.feed(text_rows(10, 10), host_t_s=2.6)  # 1.6 s: the wait is over
    assert [c.name for c in stream.info.channels] == ["ch0", "ch1", "ch2"] and len(blocks(items)) == 20
    items = stream.feed(text_rows(20, 10, header_every=25), host_t_s=3.0)
    assert [i.kind for i in items if isinstance(i, Marker)] == ["layout_changed"]
    assert stream.late_columns == ["t_ms", "left", "right"]


def test_columns_given_in_the_source_name_the_rows_without_waiting():
    stream = DeviceStream(get_profile("text", "serial"), "s", "s", "s", text_columns=("t_ms", "left", "right"))
    items = stream.feed(text_rows(0, 20), host_t_s=1.0)
    assert [c.name for c in stream.info.channels] == ["left", "right"]
    np.testing.assert_allclose(blocks(items).t_s, 0.01 * np.arange(20))


def test_a_reconnect_keeps_the_header_the_sketch_printed_at_boot():
    # The sketch printed its header once; after a reconnect its rows come without it. They were read
    # as ch0, ch1, ch2 and ended the session as a layout change.
    stream = DeviceStream(get_profile("auto", "serial"), "s", "s", "s")
    stream.feed(b"t_ms,left,right\r\n" + text_rows(0, 20), host_t_s=1.0)
    assert [c.name for c in stream.info.channels] == ["left", "right"]
    stream.link_lost(2.0, "unplugged")
    stream.link_restored()
    items = stream.feed(text_rows(300, 20), host_t_s=5.0)
    assert stream.new_layout is None and [c.name for c in stream.info.channels] == ["left", "right"]
    assert blocks(items).raw[:, 0].tolist() == list(range(1300, 1320))


def test_frames_without_a_readable_description_say_what_the_firmware_got_wrong():
    # Frames decode, so the baud rate is right: "check baud" sent makers the wrong way.
    silent = DeviceStream(get_profile("reference"), "s", "s", "s")
    silent.feed(frames(0, [1000, 11000], [1, 2]), host_t_s=1.0)  # a firmware that never answers get_info
    assert silent.understood and silent.diagnosis() == (
        "frames arrived but no device information: the firmware must send it in reply to get_info "
        "(firmware_notes/protocol.md, section 4)"
    )
    zero_rate = DeviceInfo("dev-1", "Roller", "1.0.0", 0.0, (Channel("load"),))
    broken = DeviceStream(get_profile("reference"), "s", "s", "s")
    broken.feed(encode_device_info(zero_rate) + frames(0, [1000], [1]), host_t_s=1.0)
    assert broken.understood and broken.diagnosis() == (
        "frames arrived, but the device information it sent could not be read "
        "(its sample rate is 0 Hz; it must be the rate the firmware samples at)"
    )
    garbage = DeviceStream(get_profile("reference"), "s", "s", "s")
    garbage.feed(b"\x13\x37" * 50, host_t_s=1.0)
    assert not garbage.understood

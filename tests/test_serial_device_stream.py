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

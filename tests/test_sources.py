"""Sources: one interface, chosen by a --source string; replay gives exactly what the live run gave."""

import asyncio
import time

import numpy as np
import pytest

from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.core.sim import SimConfig, SimRoller
from smr_sense.recording import RecordingWriter
from smr_sense.sources import SourceError, make_source, parse_source_spec


async def collect(source, limit_s=None):
    blocks, markers = [], []
    async with source:
        async for item in source:
            if isinstance(item, Marker):
                markers.append(item)
                continue
            blocks.append(item)
            if limit_s is not None and item.t_s[-1] >= limit_s:
                break
    return blocks, markers


def test_spec_parsing():
    spec = parse_source_spec("sim:?seed=7&build=imu")
    assert (spec.scheme, spec.target, spec.options) == ("sim", "", {"seed": "7", "build": "imu"})
    spec = parse_source_spec("replay:/data/a b.smr?speed=4")
    assert (spec.target, spec.options) == ("/data/a b.smr", {"speed": "4"})
    assert parse_source_spec("sim").scheme == "sim"
    assert parse_source_spec("serial:/dev/ttyACM0?baud=115200").target == "/dev/ttyACM0"


def test_a_file_name_with_a_question_mark_replays(tmp_path):
    odd = tmp_path / "what?.smr"
    odd.write_bytes(b"")
    assert (parse_source_spec(f"replay:{odd}").target, parse_source_spec(f"replay:{odd}").options) == (str(odd), {})
    spec = parse_source_spec(f"replay:{odd}?speed=4")  # options still follow the last '?'
    assert (spec.target, spec.options) == (str(odd), {"speed": "4"})


@pytest.mark.parametrize(
    "text, message",
    [
        ("bogus", "unknown source 'bogus'"),
        ("http://x", "unknown source"),
        ("sim:?seed=x", "not a whole number"),
        ("sim:?build=laser", "unknown sensor build 'laser'"),
        ("sim:?colour=red", "unknown option 'colour'"),
        ("sim:?speed=0", "sim source: speed 0 is below 0.25 times real time"),
        ("replay:", "replay needs a file"),
        ("replay:x.smr?speed=-1", "replay source: speed -1 is below 0.25 times real time"),
        # A text device's rate and a timeout: -5 was an internal error, max never ended a recording,
        # 0 quietly meant 50 Hz, and -1 s was "within -1 s".
        ("serial:/dev/ttyX?format=text&rate=-5", r"serial source: rate=-5 is not a rate in samples per second"),
        ("serial:/dev/ttyX?format=text&rate=max", r"rate=max is not a rate"),
        ("serial:/dev/ttyX?format=text&rate=0", r"rate=0 is not a rate"),
        ("serial:/dev/ttyX?timeout=-1", r"serial source: timeout=-1 is not a time in seconds"),
        ("ble:SMR?rate=inf", r"ble source: rate=inf is not a rate"),
        # Names for a text sketch's columns, when its header was lost or never printed.
        ("serial:/dev/ttyX?columns=t_ms,a,a", r"^serial source: columns=t_ms,a,a names a column twice$"),
        ("serial:/dev/ttyX?columns=t_ms,,b", r"^serial source: columns=t_ms,,b has an empty name$"),
        ("serial:/dev/ttyX?columns=t_ms,2nd", r"^serial source: columns=t_ms,2nd has '2nd', which is no column name"),
        ("ble:SMR?columns=t_ms", r"^ble source: columns=t_ms has no pressure channel, only time"),
    ],
)
def test_bad_specs_get_one_sentence(text, message):
    with pytest.raises(SourceError, match=message):
        make_source(text)


async def test_sim_source_matches_the_simulator():
    blocks, _ = await collect(make_source("sim:?seed=4&build=channels&speed=max&duration=30"))
    live = SampleBlock.concat(blocks)
    direct = SimRoller(SimConfig(seed=4, build="channels")).read_until(30.0)
    assert live.identical(direct)
    assert live.host_t_s is not None and not np.isnan(live.host_t_s).any()


async def test_sim_source_paces_real_time():
    source = make_source("sim:?seed=1&speed=20")
    start = time.monotonic()
    blocks, _ = await collect(source, limit_s=10.0)
    elapsed = time.monotonic() - start
    assert sum(map(len, blocks)) > 900
    assert elapsed > 10.0 / 20 * 0.8  # never faster than asked (slower is allowed on a busy machine)
    assert len(blocks) > 5  # delivered in small blocks, as a device would


async def test_replay_gives_the_live_run_bit_for_bit(tmp_path):
    path = tmp_path / "live.smr"
    source = make_source("sim:?seed=8&build=imu&speed=max&duration=60")
    live_blocks, live_markers = [], []
    async with source:
        with RecordingWriter(path, source.info) as writer:
            async for item in source:
                if isinstance(item, Marker):
                    live_markers.append(item)
                    writer.mark(item)
                else:
                    live_blocks.append(item)
                    writer.append(item)
    live = SampleBlock.concat(live_blocks)
    replayed, markers = await collect(make_source(f"replay:{path}?speed=max"))
    assert SampleBlock.concat(replayed).identical(live, host_time=True)
    assert markers == live_markers and markers


async def test_replay_seek_pause_and_speed(tmp_path):
    path = tmp_path / "s.smr"
    roller = SimRoller(SimConfig(seed=2))
    with RecordingWriter(path, roller.info) as w:
        w.append(roller.read_until(120.0))
    source = make_source(f"replay:{path}?speed=50")
    seen = []
    async with source:
        pb = source.playback
        assert pb is not None and pb.duration_s == pytest.approx(120.0, abs=0.1)
        async for item in source:
            seen.append(item)
            if isinstance(item, SampleBlock) and item.t_s[-1] > 20 and not any(isinstance(s, Marker) for s in seen):
                pb.seek(90.0)
            if isinstance(item, SampleBlock) and item.t_s[-1] > 100:
                pb.set_paused(True)
                assert pb.paused
                pos = pb.position_s
                await asyncio.sleep(0.2)
                assert pb.position_s == pos  # nothing moves while paused
                pb.set_paused(False)
                pb.set_speed(float("inf"))
    seeks = [s for s in seen if isinstance(s, Marker)]
    assert len(seeks) == 1 and seeks[0].kind == "seek" and seeks[0].t_s == pytest.approx(90.0, abs=0.02)
    after = [s for s in seen[seen.index(seeks[0]) + 1 :] if isinstance(s, SampleBlock)]
    assert after[0].t_s[0] >= 90.0 - 0.02
    assert after[-1].t_s[-1] == pytest.approx(120.0, abs=0.1)  # played to the end


async def test_replay_of_a_one_sample_recording_plays_it(tmp_path):
    # `smr-sense sim --duration 0.001` writes such a file; with no --start it must not say "outside".
    path = tmp_path / "one.smr"
    source = make_source("sim:?seed=3&speed=max&duration=60")
    async with source:
        with RecordingWriter(path, source.info) as writer:
            async for item in source:
                if isinstance(item, SampleBlock):
                    writer.append(item.slice(0, 1))
                    break
    blocks, _ = await collect(make_source(f"replay:{path}?speed=max"))
    assert sum(len(b) for b in blocks) == 1
    with pytest.raises(SourceError, match=r"a start at 1 s is outside .*one\.smr, which lasts 0\.0 s"):
        await make_source(f"replay:{path}?start=1").open()


async def test_replay_of_missing_file_is_one_sentence(tmp_path):
    from smr_sense.errors import SmrError

    with pytest.raises(SmrError, match="does not exist"):
        await make_source(f"replay:{tmp_path}/nope.smr").open()


async def test_replay_yields_every_marker_in_stream_order(tmp_path):
    path = tmp_path / "m.smr"
    roller = SimRoller(SimConfig(seed=2, drop_rate=0.0, burst_per_min=0.0))
    block = roller.read_until(30.0)
    with RecordingWriter(path, roller.info) as w:
        w.append(block)
        # between two samples, before the first, after the last
        for t in (-1.0, 10.005, 10.0051, 29.9999, 31.0):
            w.mark(Marker(t, "note", {"t": t}))
    items = []
    async with make_source(f"replay:{path}?speed=max") as source:
        async for item in source:
            items.append(item)
    marks = [i for i in items if isinstance(i, Marker)]
    assert [m.t_s for m in marks] == [-1.0, 10.005, 10.0051, 29.9999, 31.0]
    # each marker comes between the samples around it, as live (and as analyze feeds them)
    for m in marks:
        pos = items.index(m)
        before = [i.t_s for i in items[:pos] if isinstance(i, SampleBlock)]
        after = [i.t_s for i in items[pos + 1 :] if isinstance(i, SampleBlock)]
        assert all((t <= m.t_s).all() for t in before)
        assert all((t > m.t_s).all() for t in after)


async def test_sim_person_announces_each_muscle_group_bottom_up():
    _, markers = await collect(make_source("sim:?seed=4&speed=max&duration=400"))
    groups = [m.data["group"] for m in markers if m.kind == "muscle_group"]
    assert groups[:3] == ["calves", "hamstrings", "quads"]
    assert markers[0].t_s == 0.0
    roller = SimRoller(SimConfig(seed=4))
    roller.read_until(400.0)
    starts = {}
    for seg in roller.truth:
        starts.setdefault(seg.group, seg.start_s)
    assert [m.t_s for m in markers if m.kind == "muscle_group"] == [starts[g] for g in groups]


async def test_sim_person_ends_after_the_routines_asked_for_off_the_roller():
    # demo's person went round the routine for ever: at --speed max a 50-hour, 800 MB recording.
    blocks, markers = await collect(make_source("sim:?seed=4&rate=50&speed=max&routines=1"))
    groups = [m.data["group"] for m in markers if m.kind == "muscle_group"]
    assert groups == ["calves", "hamstrings", "quads", "adductors", "glutes", "it_band", "lower_back", "upper_back", "lats"]
    roller = SimRoller(SimConfig(seed=4, rate_hz=50.0))
    roller.read_until(3000.0)
    again = next(seg.start_s for seg in roller.truth if seg.group == "calves" and seg.start_s > markers[-1].t_s)
    t = np.concatenate([b.t_s for b in blocks])
    assert t[-1] < again <= t[-1] + 0.1  # every sample up to where the person starts over, none after
    last = [seg for seg in roller.truth if seg.start_s < again][-1]
    assert (last.group, last.kind) == ("lats", "transition")  # lifting off after the last group: the end


async def test_replay_yields_a_marker_inside_a_gap_on_time(tmp_path):
    path = tmp_path / "gap.smr"
    roller = SimRoller(SimConfig(seed=2, drop_rate=0.0, burst_per_min=0.0))
    block = roller.read_until(6.0)
    keep = (block.t_s < 2.0) | (block.t_s >= 5.0)  # the link was down from 2 s to 5 s
    with RecordingWriter(path, roller.info) as w:
        w.append(block.slice(0, int(keep[: int((block.t_s < 2.0).sum())].sum())))
        w.mark(Marker(2.0, "disconnected", {}))
        w.mark(Marker(5.0, "reconnected", {"gap_s": 3.0}))
        w.append(block.slice(int((block.t_s < 5.0).sum()), len(block)))
    source = make_source(f"replay:{path}?speed=10")
    seen = []
    async with source:
        async for item in source:
            seen.append((time.monotonic(), item))
    (t_down, _), = [(w, i) for w, i in seen if isinstance(i, Marker) and i.kind == "disconnected"]
    (t_up, _), = [(w, i) for w, i in seen if isinstance(i, Marker) and i.kind == "reconnected"]
    assert t_up - t_down > 0.3 * 3.0 / 10  # the gap lasts (scaled by speed), not an instant


async def test_sim_markers_come_between_the_samples_around_them():
    source = make_source("sim:?seed=3&speed=max&duration=300")
    items = []
    async with source:
        async for item in source:
            items.append(item)
    last_t = -1.0
    for item in items:
        first = item.t_s if isinstance(item, Marker) else float(item.t_s[0])
        assert first >= last_t
        last_t = item.t_s if isinstance(item, Marker) else float(item.t_s[-1])


def test_the_replay_example_names_a_shipped_recording():
    import pathlib
    import re

    with pytest.raises(SourceError) as err:
        make_source("replay:")
    example = re.search(r"replay:(\S+?)\)", str(err.value)).group(1)
    assert (pathlib.Path(__file__).resolve().parent.parent / example).is_file()

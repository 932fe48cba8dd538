"""The real serial source (pyserial) over a real pseudo-terminal, against the virtual roller.

The emulator runs in the test's event loop; the test sends samples with ``emit(n)`` (not in real
time) and awaits what the source yields, so nothing here depends on timing.
"""

import asyncio
import ctypes
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import serial

from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.core.wire.encode import quantize_imu
from smr_sense.core.wire.protocol import GYRO_LSB_DPS
from smr_sense.emulator import FaultPlan, PtyLink, PtyRoller, sim_virtual_roller
from smr_sense.sources import SourceError, make_source
from link_helpers import WAIT_S, PrintingSketch, n_samples, read_sketch, samples, take

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
BIG = 1 << 24  # the emulator queues every byte for the host (tests send in bursts, not in real time)


@pytest.fixture
async def emulator(tmp_path):
    roller = sim_virtual_roller(build="imu", seed=5, rate_hz=200.0)
    emu = PtyRoller(roller, PtyLink(str(tmp_path / "roller")), max_pending_bytes=BIG)
    emu.start()
    yield emu
    emu.close()


async def emit_when_streaming(emu, counts):
    await asyncio.wait_for(emu.streaming.wait(), WAIT_S)
    for n in counts:
        emu.emit(n)


async def test_samples_arrive_as_the_roller_sent_them(emulator):
    source = make_source(f"serial:{emulator.path}")
    info = await source.open()
    try:
        assert info.device_id == "emu-imu-5"
        assert [c.name for c in info.channels] == ["load"] and info.channels[0].unit == "N"
        assert info.has_gyro and info.has_accel and info.rate_hz == 200.0
        assert source.stats.connected and source.stats.state == "streaming"
        await emit_when_streaming(emulator, [1, 7, 150, 42])
        got = samples(await take(source, lambda items: n_samples(items) >= 200))
    finally:
        await source.close()
    t_us, raw, intact = emulator.roller.sent.arrays()
    assert intact.all() and len(got) == 200
    np.testing.assert_array_equal(got.t_s, t_us / 1e6)
    np.testing.assert_array_equal(got.raw, raw)
    assert got.gyro_dps is not None and got.host_t_s is not None
    assert np.all(np.diff(got.host_t_s) >= 0)
    assert source.stats.samples == 200 and source.stats.lost == 0 and source.stats.corrupt == 0
    assert source.stats.state == "ended" and not source.stats.connected


async def test_gyro_survives_the_wire_to_its_resolution(tmp_path):
    roller = sim_virtual_roller(build="imu", seed=8, rate_hz=100.0, autostart=True)
    emu = PtyRoller(roller, PtyLink(), max_pending_bytes=BIG)
    emu.start()
    supply_twin = sim_virtual_roller(build="imu", seed=8, rate_hz=100.0).supply  # same seed, same samples
    source = make_source(f"serial:{emu.link.slave_path}?format=reference")
    try:
        await source.open()
        emu.emit(50)
        got = samples(await take(source, lambda items: n_samples(items) >= 50))
    finally:
        await source.close()
        emu.close()
    truth = supply_twin.read(50)
    np.testing.assert_array_equal(got.gyro_dps, quantize_imu(truth.gyro_dps, GYRO_LSB_DPS) * np.float32(GYRO_LSB_DPS))


async def test_damaged_frames_are_counted_and_only_they_are_missing(tmp_path):
    plan = FaultPlan(garbage=0.05, checksum=0.05, drop=0.05)
    roller = sim_virtual_roller(build="channels", seed=11, rate_hz=500.0, faults=plan)
    emu = PtyRoller(roller, PtyLink(), max_pending_bytes=BIG)
    emu.start()
    source = make_source(f"serial:{emu.link.slave_path}")
    try:
        info = await source.open()
        assert info.n_channels == 4
        await emit_when_streaming(emu, [100] * 30)
        emu.emit(1)
        while not roller.sent.intact[-1][-1]:  # end on a frame that arrives whole, to know when to stop
            emu.emit(1)
        t_us, raw, intact = roller.sent.arrays()
        last_t_s = t_us[-1] / 1e6
        got = samples(
            await take(source, lambda items: any(isinstance(i, SampleBlock) and i.t_s[-1] >= last_t_s for i in items))
        )
    finally:
        await source.close()
        emu.close()
    counts = roller.faults.counts
    assert emu.bytes_dropped == 0
    assert counts["drop"] > 0 and counts["checksum"] > 0 and counts["garbage"] > 0
    np.testing.assert_array_equal(got.t_s, t_us[intact] / 1e6)
    np.testing.assert_array_equal(got.raw, raw[intact])
    assert source.stats.lost == int((~intact).sum())
    assert source.stats.corrupt >= counts["checksum"]


async def test_unplug_marks_a_gap_reconnects_and_time_goes_on(emulator):
    source = make_source(f"serial:{emulator.path}")
    await source.open()
    try:
        await emit_when_streaming(emulator, [100])
        before = await take(source, lambda items: n_samples(items) >= 100)

        emulator.unplug()  # the kernel removes the pty: the source's read ends as with a pulled cable
        lost = await take(source, lambda items: any(isinstance(i, Marker) for i in items))
        assert not Path(emulator.path).exists()
        assert [i.kind for i in lost if isinstance(i, Marker)] == ["disconnected"]
        assert source.stats.state == "reconnecting" and not source.stats.connected

        emulator.replug()  # a new /dev/pts number behind the same stable link
        await emit_when_streaming(emulator, [60])
        after = await take(source, lambda items: n_samples(items) >= 60)
    finally:
        await source.close()
    gone, back = [i for i in lost + after if isinstance(i, Marker)]
    assert (gone.kind, back.kind) == ("disconnected", "reconnected")
    t_before = samples(before).t_s
    t_after = samples(after).t_s
    assert gone.t_s == t_before[-1]
    assert back.t_s == t_after[0] > t_before[-1]  # the device restarted its clock; stream time did not
    assert back.data["gap_s"] == pytest.approx(t_after[0] - t_before[-1])
    assert np.all(np.diff(t_after) > 0)
    # after the gap, the samples are the rebooted roller's, in order and whole
    t_us, raw, _ = emulator.roller.sent.arrays()
    np.testing.assert_array_equal(samples(after).raw, raw[-60:])
    np.testing.assert_allclose(np.diff(t_after), np.diff(t_us[-60:] / 1e6), atol=1e-9)
    assert source.stats.reconnects == 1 and source.stats.samples == 160


async def test_another_roller_behind_the_same_port_is_refused_until_ours_is_back(emulator, tmp_path):
    # kill -9 of one emulator, another started on the same stable link: its person, its calibration.
    source = make_source(f"serial:{emulator.path}")
    await source.open()
    other = None
    try:
        await emit_when_streaming(emulator, [50])
        await take(source, lambda items: n_samples(items) >= 50)
        emulator.unplug()
        await take(source, lambda items: any(isinstance(i, Marker) for i in items))
        other = PtyRoller(sim_virtual_roller(build="imu", seed=6, rate_hz=200.0), PtyLink(emulator.path),
                          max_pending_bytes=BIG)
        other.start()
        async with asyncio.timeout(WAIT_S):
            while not (source.last_error or "").startswith("another device answered"):
                await asyncio.sleep(0.05)
        assert source.last_error == (
            f"another device answered on serial:{emulator.path} (id emu-imu-6, not emu-imu-5): "
            "waiting for the session's roller"
        )
        assert source.stats.state == "reconnecting" and source.stats.samples == 50
        other.close()
        other = None
        emulator.replug()
        await emit_when_streaming(emulator, [40])
        after = await take(source, lambda items: n_samples(items) >= 40)
    finally:
        if other is not None:
            other.close()
        await source.close()
    assert source.stats.samples == 90 and source.last_error is None
    _, raw, _ = emulator.roller.sent.arrays()
    np.testing.assert_array_equal(samples(after).raw, raw[-40:])  # only our roller's samples


async def test_commands_reach_the_roller_and_replies_become_markers(emulator):
    def has_marker(kind):
        return lambda items: any(isinstance(i, Marker) and i.kind == kind for i in items)

    source = make_source(f"serial:{emulator.path}")
    await source.open()
    try:
        await emit_when_streaming(emulator, [20])
        while abs(emulator.roller.sent.raw[-1][-1, 0]) < 100.0:  # until someone is on the roller
            emulator.emit(20)
        sent = sum(len(r) for r in emulator.roller.sent.raw)
        await take(source, lambda items: n_samples(items) >= sent)
        await source.command("tare")
        tared = await take(source, has_marker("command"))
        emulator.emit(1)
        first_after = samples(await take(source, lambda items: n_samples(items) >= 1)).raw[0, 0]
        await source.command("set_rate", rate_hz=100.0)
        rated = await take(source, has_marker("device_info"))
    finally:
        await source.close()
    await asyncio.wait_for(emulator.idle.wait(), WAIT_S)  # closing sent "stop"
    names = [c.name for c in emulator.roller.commands_seen]
    # (the handshake repeats get_info and start every 0.5 s until answered: a slow machine may see two)
    assert set(names[:-3]) == {"get_info", "start"} and names[-3:] == ["tare", "set_rate", "stop"]
    assert tared[-1].data == {"command": "tare", "status": "ok", "value": None}
    assert abs(first_after) < 20.0  # the roller zeroed on the sample before
    assert rated[-1].data == {"rate_hz": 100.0}
    assert source.info.rate_hz == 100.0


async def test_a_sketch_printing_plotter_lines_is_recognised():
    source, info, got, path = await read_sketch(lambda i: b"load_n:%d.5,fsr0:%d\r\n" % (i, i % 7), until_samples=30)
    assert [c.name for c in info.channels] == ["load_n", "fsr0"]
    assert info.channels[0].unit == "N" and info.channels[1].sensor == "fsr"
    first = int(got.raw[0, 0])
    np.testing.assert_array_equal(got.raw[:, 0], np.arange(first, first + len(got)) + 0.5)
    np.testing.assert_array_equal(got.raw[:, 1], (np.arange(first, first + len(got)) + 0.5).astype(int) % 7)
    assert np.all(np.diff(got.t_s) > 0) and got.host_t_s is not None
    # No time column and no rate= given: the samples are counted at the default rate, said once.
    assert source.warnings == [
        f"serial:{path} sends no time column, so its samples are timed as 50 per second; "
        f"if the device sends at another rate, give it (serial:{path}?rate=HZ), "
        "or every hold is timed wrong"
    ]


@pytest.mark.parametrize("line, options", [(b"t_ms:%d,load_n:5\r\n", ""), (b"load_n:%d\r\n", "?rate=200")])
async def test_a_sketch_with_its_own_clock_or_a_given_rate_gets_no_timing_warning(line, options):
    source, info, _, _ = await read_sketch(lambda i: line % (10 * i), options)
    assert info.rate_hz == (100.0 if not options else 200.0) and source.warnings == []


async def test_a_time_column_in_the_wrong_unit_is_said_with_the_name_that_fixes_it():
    # A sketch printing millis() under "t": read as seconds it steps at 0.1 Hz, no roller's rate, so
    # the detector falls back to 50 Hz; that fallback was silent.
    source, info, _, path = await read_sketch(lambda i: b"t:%d,load_n:5\r\n" % (10 * i))
    assert info.rate_hz == 50.0
    assert source.warnings == [
        f"serial:{path} sends a time column t that, read in seconds, steps at 0.1 Hz, outside "
        "the 5-2000 Hz a roller streams at, so the hold detector assumes 50 Hz; if it counts milliseconds, "
        "name it t_ms in the sketch, or every hold is timed wrong"
    ]


async def test_a_port_that_stays_open_and_silent_is_a_lost_link_that_comes_back():
    # A hung board or a stopped process: the port stays open and nothing arrives. The dashboard
    # showed "streaming" over the last force, frozen, for as long as it lasted (no cap can sound
    # without samples); record said nothing.
    silent = asyncio.Event()

    def line_of(i):
        return b"" if silent.is_set() else b"load_n:%d\r\n" % (100 + i % 3)

    sketch = PrintingSketch(line_of)
    try:
        source = make_source(f"serial:{sketch.link.slave_path}?timeout=0.5&rate=200")
        await source.open()
        await take(source, lambda items: n_samples(items) >= 20)
        silent.set()
        lost = await take(source, lambda items: any(isinstance(i, Marker) and i.kind == "disconnected" for i in items))
        marker = next(i for i in lost if isinstance(i, Marker) and i.kind == "disconnected")
        assert "no data for 0.5 s" in str(marker.data), marker
        assert source.stats.state == "reconnecting"
        silent.clear()  # the board comes back
        back = await take(source, lambda items: any(isinstance(i, Marker) and i.kind == "reconnected" for i in items))
        assert any(isinstance(i, Marker) and i.kind == "reconnected" for i in back)
        await source.close()
    finally:
        sketch.close()


async def test_a_roller_that_changes_its_channels_mid_session_ends_the_stream_in_one_sentence():
    # Its frames of the new width were dropped as corrupt while bytes kept coming: no loss to mark,
    # no sample to time, and `record --duration 20` ran on until killed.
    sketch = PrintingSketch(lambda i: b"load:%d\r\n" % i if i < 40 else b"left:%d,right:%d\r\n" % (i, i))
    try:
        source = make_source(f"serial:{sketch.link.slave_path}?rate=200")
        await source.open()

        async def drain():
            async for _ in source:
                pass

        with pytest.raises(SourceError) as err:
            await asyncio.wait_for(drain(), WAIT_S)  # before, it went on for ever
        await source.close()
    finally:
        sketch.close()
    assert str(err.value) == (
        f"the serial port {sketch.link.slave_path} changed its channels mid-session (now left, right); "
        "a session keeps one layout, so start a new one"
    )


# --- bad input: one sentence each ----------------------------------------------------------------


async def test_a_missing_port_is_one_sentence():
    with pytest.raises(SourceError, match=r"^serial port /dev/ttyNOPE9 does not exist; `smr-sense scan`"):
        await make_source("serial:/dev/ttyNOPE9").open()


async def test_an_ordinary_file_is_not_a_serial_port(tmp_path):
    # It opens, but pyserial cannot configure it: its termios error used to come out raw.
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match=r"^\S+notes.txt is not a serial port$"):
        await make_source(f"serial:{tmp_path / 'notes.txt'}").open()


async def test_a_busy_port_is_one_sentence(emulator):
    holder = serial.Serial(emulator.path, exclusive=True)
    try:
        with pytest.raises(SourceError, match=r"is busy: another program .* has it open$"):
            await make_source(f"serial:{emulator.path}").open()
    finally:
        holder.close()


async def test_a_text_device_is_not_taken_for_a_reference_roller():
    sketch = PrintingSketch(lambda i: b"%d %d 3\n" % (i, i))
    try:
        with pytest.raises(SourceError) as err:
            await make_source(f"serial:{sketch.link.slave_path}?format=reference&timeout=0.5").open()
    finally:
        sketch.close()
    assert str(err.value).startswith(
        f"no roller data from the serial port {sketch.link.slave_path} within 0.5 s (profile reference): "
    )
    assert "bytes arrived but not one valid reference frame (check baud=115200, or try format=text)" in str(err.value)


async def test_silence_is_one_sentence():
    link = PtyLink()
    link.plug()
    try:
        with pytest.raises(SourceError, match=r"within 0.2 s \(profile auto\): nothing arrived \(check baud=9600\)$"):
            await make_source(f"serial:{link.slave_path}?timeout=0.2&baud=9600").open()
    finally:
        link.unplug()


@pytest.mark.parametrize(
    "text, sentence",
    [
        ("serial:", "serial needs a port"),
        ("serial:/dev/x?format=morse", "serial format 'morse' is not known"),
        ("serial:/dev/x?speed=3", "has unknown option 'speed'"),
        ("serial:/dev/x?baud=fast", "source option baud='fast' is not a whole number"),
    ],
)
def test_bad_options_are_one_sentence(text, sentence):
    with pytest.raises(SourceError, match=sentence):
        make_source(text)


def _drop_file_permission_override():
    """In the child, before exec: root loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so file modes apply."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _has_capability(bit):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


@pytest.mark.skipif(
    os.geteuid() == 0 and not _has_capability(8), reason="root without CAP_SETPCAP cannot give up its file access"
)
def test_no_permission_is_one_sentence_and_no_traceback(tmp_path):
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.chmod(path, 0o000)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "smr_sense",
                "record",
                "--source",
                f"serial:{path}",
                "--out",
                str(tmp_path / "x.smr"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_drop_file_permission_override if os.geteuid() == 0 else None,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        f"smr-sense: error: no permission to open serial port {path}; add yourself to its group "
        "(on most Linux systems: sudo usermod -aG dialout $USER, then log in again)"
    )

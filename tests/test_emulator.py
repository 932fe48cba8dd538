"""The virtual roller: its protocol engine (pure), its faults, and ``smr-sense emulate`` as a user runs it."""

import asyncio
import os
import signal
import sys

import numpy as np
import pytest

from smr_sense.core.samples import SampleBlock
from smr_sense.core.wire import CommandReply, DeviceInfo, ReferenceDecoder, encode_command
from smr_sense.cli.scan import virtual_rollers
from smr_sense.emulator import FaultInjector, FaultPlan, VirtualRoller, sim_virtual_roller
from smr_sense.emulator.roller import BOOT_US
from smr_sense.errors import UsageError
from smr_sense.sources import make_source


def decode(data):
    return ReferenceDecoder().feed(data)


def test_it_describes_itself_and_streams_only_once_started():
    roller = sim_virtual_roller(build="channels", seed=2, rate_hz=250.0)
    assert roller.produce(10) == b""
    info, reply = decode(roller.receive(encode_command("get_info", token=7)))
    assert isinstance(info, DeviceInfo) and isinstance(reply, CommandReply)
    assert (reply.command, reply.token, reply.status) == ("get_info", 7, "ok")
    assert info.rate_hz == 250.0 and len(info.channels) == 4 and all(c.unit == "N" for c in info.channels)
    assert info.device_id == "emu-channels-2" and info.firmware == "1.0.0"
    assert decode(roller.receive(encode_command("start", token=8))) == [CommandReply("start", 8, "ok")]
    (block,) = decode(roller.produce(25))
    assert len(block) == 25 and block.t_s[0] == BOOT_US / 1e6
    np.testing.assert_allclose(np.diff(block.t_s), 1 / 250.0, atol=2e-3)  # the simulator's clock jitter
    assert decode(roller.receive(encode_command("stop"))) == [CommandReply("stop", 0, "ok")]
    assert roller.produce(5) == b""


def test_values_are_the_simulators_in_newtons_or_counts():
    in_n = sim_virtual_roller(build="force", seed=4, autostart=True)
    in_counts = sim_virtual_roller(build="force", seed=4, autostart=True, units="count")
    twin = sim_virtual_roller(build="force", seed=4).supply
    (n_block,) = decode(in_n.produce(300))
    (count_block,) = decode(in_counts.produce(300))
    truth = twin.read(300)
    np.testing.assert_array_equal(count_block.raw, np.rint(truth.raw))
    from smr_sense.core.calibration import forces_n

    np.testing.assert_array_equal(n_block.raw, forces_n(twin.info, np.rint(truth.raw)).astype(np.float32))


def test_the_device_clock_wraps_like_micros_and_decodes_continuous():
    roller = VirtualRoller(sim_virtual_roller(seed=1)._make_supply, 100.0, autostart=True, boot_us=(1 << 32) - 55_000)
    decoder = ReferenceDecoder()
    blocks = [b for b in decoder.feed(roller.produce(20)) if isinstance(b, SampleBlock)]
    t = SampleBlock.concat(blocks).t_s
    t_us = np.concatenate(roller.sent.t_us)
    assert t_us.max() > t_us[-1]  # the raw counter did wrap
    assert np.all(np.diff(t) > 0.005) and t[-1] - t[0] == pytest.approx(0.19, abs=0.002)


def test_set_rate_checks_its_argument_and_keeps_the_clock_going():
    roller = sim_virtual_roller(seed=3, autostart=True)
    before = decode(roller.produce(10))[0]
    (reply,) = decode(roller.receive(encode_command("set_rate", token=1, rate_hz=5000.0)))
    assert (reply.status, reply.value) == ("bad_argument", 100.0)
    info, reply = decode(roller.receive(encode_command("set_rate", token=2, rate_hz=50.0)))
    assert info.rate_hz == 50.0 and reply.status == "ok" and reply.value == 50.0
    after = decode(roller.produce(10))[0]
    assert after.t_s[0] == pytest.approx(before.t_s[-1] + 1 / 50.0)


def test_tare_zeroes_on_the_last_sample_and_a_power_cycle_forgets_it():
    roller = sim_virtual_roller(seed=5)
    roller.receive(encode_command("start"))
    roller.produce(600)  # 6 s: someone is on the roller by now
    assert abs(roller.sent.raw[-1][-1, 0]) > 100
    assert decode(roller.receive(encode_command("tare")))[0].status == "ok"
    assert abs(decode(roller.produce(1))[0].raw[0, 0]) < 20
    roller.power_cycle()
    assert roller.produce(1) == b"" and roller.seq == 0
    roller.receive(encode_command("start"))
    block = decode(roller.produce(1))[0]
    assert block.t_s[0] == BOOT_US / 1e6 and abs(block.raw[0, 0]) > 20


def test_fault_plans_parse_and_refuse_in_one_sentence():
    plan = FaultPlan.parse("garbage,checksum=0.2,drop,vanish=7")
    assert (plan.garbage, plan.checksum, plan.drop, plan.vanish_every_s) == (0.01, 0.2, 0.01, 7.0)
    assert FaultPlan.parse("") == FaultPlan()
    for text, sentence in [
        ("smoke", "unknown fault 'smoke'"),
        ("garbage,", "an empty fault in 'garbage,': use garbage, checksum, drop, vanish"),  # was "unknown fault ''"
        ("drop=lots", "fault drop='lots' needs a number"),
        ("drop=1.5", "must be between 0 and 1"),
        ("vanish=0", "vanish=SECONDS needs a positive number"),
    ]:
        with pytest.raises(UsageError, match=sentence):
            FaultPlan.parse(text)


def test_faults_are_repeatable_and_the_decoder_sees_exactly_the_intact_frames():
    def run(seed):
        roller = sim_virtual_roller(seed=seed, autostart=True, faults=FaultPlan(garbage=0.1, checksum=0.1, drop=0.1))
        wire = b"".join(roller.produce(100) for _ in range(10))
        return roller, wire

    (a, wire_a), (b, wire_b) = run(9), run(9)
    assert wire_a == wire_b and a.faults.counts == b.faults.counts
    assert all(v > 0 for v in a.faults.counts.values())
    decoder = ReferenceDecoder()
    got = SampleBlock.concat([x for x in decoder.feed(wire_a) if isinstance(x, SampleBlock)])
    t_us, raw, intact = a.sent.arrays()
    np.testing.assert_array_equal(got.t_s, t_us[intact] / 1e6)
    np.testing.assert_array_equal(got.raw, raw[intact])
    assert decoder.stats.corrupt >= a.faults.counts["checksum"]
    assert decoder.stats.lost == (~intact).sum() - _trailing_lost(intact)


def _trailing_lost(intact):
    """Frames lost after the last intact one: no later sequence number reveals them."""
    return len(intact) - 1 - int(np.flatnonzero(intact)[-1])


def test_no_faults_costs_nothing():
    injector = FaultInjector()
    frames = bytes(range(64)) * 3
    assert injector.apply(frames, 64)[0] is frames


# --- the command, as a user runs it -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
async def test_emulate_prints_its_pty_and_a_serial_source_records_from_it(tmp_path):
    link = tmp_path / "roller"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smr_sense", "emulate", "--pty", "--build", "force", "--rate", "200",
        "--link", str(link), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        assert first.startswith("/dev/pts/") and os.path.realpath(link) == first
        source = make_source(f"serial:{first}")
        info = await source.open()
        n = 0
        async with asyncio.timeout(30):
            async for item in source:
                n += len(item) if isinstance(item, SampleBlock) else 0
                if n >= 40:
                    break
        await source.close()
        # Seed 7 by default, as sim and demo: the same simulated person on every path.
        assert info.device_id == "emu-force-7" and info.rate_hz == 200.0 and not info.has_gyro
        # scan lists it under the link it was given, wherever that is, with the source to use.
        assert (str(link), f"serial:{link}") in [(f.name, f.source) for f in virtual_rollers()]
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and err == b""
    assert out.decode().splitlines()[-1].startswith("Stopped after ")
    assert not link.exists()  # it cleaned up its link
    assert str(link) not in [f.name for f in virtual_rollers()]


def test_emulate_without_pty_is_one_sentence(capsys):
    from smr_sense.cli import main

    assert main(["emulate"]) == 2
    assert (
        capsys.readouterr().err
        == "smr-sense: error: emulate needs --pty (a pseudo-terminal is the only link it can serve)\n"
    )
    assert main(["emulate", "--pty", "--faults", "smoke"]) == 2
    assert "unknown fault 'smoke'" in capsys.readouterr().err


def test_a_link_path_that_is_a_file_or_a_running_emulators_link_is_never_replaced(tmp_path, capsys):
    from smr_sense.cli import main
    from smr_sense.emulator import PtyLink

    recording = tmp_path / "session.smr"
    recording.write_bytes(b"a session")
    assert main(["emulate", "--pty", "--link", str(recording), "--duration", "1"]) == 2
    assert capsys.readouterr().err == (
        f"smr-sense: error: {recording} exists and is not an emulator's link; choose another --link\n"
    )
    assert recording.read_bytes() == b"a session"

    first = PtyLink(str(tmp_path / "roller"))
    pts = first.plug()
    try:
        assert main(["emulate", "--pty", "--link", str(tmp_path / "roller"), "--duration", "1"]) == 2
        assert "is the link of another running emulator" in capsys.readouterr().err
        assert os.readlink(tmp_path / "roller") == pts  # still the first one's
    finally:
        first.unplug()
    assert not os.path.lexists(tmp_path / "roller")


def test_a_replug_leaves_a_link_another_emulator_took_meanwhile(tmp_path):
    from smr_sense.emulator import PtyLink

    path = str(tmp_path / "roller")
    ours, theirs = PtyLink(path), PtyLink(path)
    ours.plug()
    ours.unplug()  # vanish: our link goes
    their_pts = theirs.plug()  # another emulator takes the free path
    try:
        ours.plug()  # we come back: reachable on our own /dev/pts, their link untouched
        assert os.readlink(path) == their_pts
        ours.unplug()
        assert os.readlink(path) == their_pts  # not removed by us either
    finally:
        theirs.unplug()
    assert not os.path.lexists(path)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
async def test_a_vanishing_roller_is_gone_from_its_link_then_back_behind_it(tmp_path):
    # The README and the banner said it comes back "under a new /dev/pts number"; the kernel gives
    # the lowest free one, so it is often the same. What holds: the link goes, then points at a live pty.
    link = tmp_path / "roller"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smr_sense", "emulate", "--pty", "--link", str(link), "--faults", "vanish=1",
        "--duration", "5", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    seen = []
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
        async with asyncio.timeout(30):
            while proc.returncode is None and len(seen) < 80:  # 4 s: unplugged at 1 s, back at 3 s
                seen.append(os.readlink(link) if os.path.islink(link) else None)
                await asyncio.sleep(0.05)
    finally:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0 and err == b""
    assert "it will vanish every 1 s for 2 s and come back on a new pseudo-terminal, whose number may differ: " \
        f"keep to serial:{link}" in out.decode()
    gone = seen.index(None)
    assert seen[0] == first and None in seen[gone:] and any(p and p.startswith("/dev/pts/") for p in seen[gone:])

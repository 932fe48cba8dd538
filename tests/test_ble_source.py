"""The BLE source with unmodified bleak and its real BlueZ backend, over a private D-Bus daemon,
against a fake BlueZ (tests/fakebluez) whose devices run roller firmware models.

Nothing is mocked inside bleak or the source: discovery, connect, GATT resolution, notifications
(PropertiesChanged on Value), writes and disconnects all travel as D-Bus messages.
"""

import asyncio

import numpy as np
import pytest
from fakebluez.fixtures import fake_bluez, system_bus  # noqa: F401
from fakebluez.rollers import ReferenceBleRoller, TextNusRoller, TindeqRoller, gadget

from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.core.wire import encode_command
from smr_sense.core.wire.tindeq import TINDEQ_SERVICE_UUID
from smr_sense.sources import SourceError, make_source
from link_helpers import WAIT_S, n_samples, samples, take

async def until_streaming(device):
    """The host's "start" travels as a D-Bus WriteValue; wait for the firmware to have it."""
    await asyncio.wait_for(device.streaming.wait(), WAIT_S)


async def test_found_by_name_streams_reference_frames_end_to_end(fake_bluez):
    fake_bluez.add_adapter()
    device = ReferenceBleRoller(name="SMR-Roller-1")
    fake_bluez.add_peripheral(device.peripheral)
    fake_bluez.add_peripheral(gadget())
    source = make_source("ble:SMR-Roller-1")
    info = await source.open()
    try:
        assert info.device_id == "emu-imu-3" and info.extra["profile"] == "reference"
        assert [c.name for c in info.channels] == ["load"] and info.has_gyro
        await until_streaming(device)
        for n in (1, 9, 90):
            device.emit(n)
        got = samples(await take(source, lambda items: n_samples(items) >= 100))
    finally:
        await source.close()
    t_us, raw, _ = device.roller.sent.arrays()
    np.testing.assert_array_equal(got.t_s, t_us / 1e6)
    np.testing.assert_array_equal(got.raw, raw)
    assert source.stats.samples == 100 and source.stats.lost == 0 and source.stats.corrupt == 0
    # the handshake and the close went over GATT writes, as command frames
    written = [data for _uuid, data in device.peripheral.writes]
    assert written[:2] == [encode_command("get_info"), encode_command("start")]
    assert written[-1] == encode_command("stop")
    assert not device.peripheral.connected


async def test_a_command_is_written_and_its_reply_comes_back(fake_bluez):
    fake_bluez.add_adapter()
    device = ReferenceBleRoller()
    fake_bluez.add_peripheral(device.peripheral)
    source = make_source("ble:F0:11:22:33:44:55")  # by address
    await source.open()
    try:
        await until_streaming(device)
        device.emit(5)
        await take(source, lambda items: n_samples(items) >= 5)
        await source.command("tare")
        items = await take(source, lambda items: any(isinstance(i, Marker) for i in items))
    finally:
        await source.close()
    assert device.peripheral.writes[-2] == (device.command_uuid, encode_command("tare", token=1))
    assert [c.name for c in device.roller.commands_seen][-2:] == ["tare", "stop"]
    assert items[-1].kind == "command" and items[-1].data["status"] == "ok"


async def test_found_by_advertised_service_uuid_as_a_tindeq(fake_bluez):
    fake_bluez.add_adapter()
    fake_bluez.add_peripheral(gadget())
    device = TindeqRoller()
    fake_bluez.add_peripheral(device.peripheral)
    source = make_source(f"ble:{TINDEQ_SERVICE_UUID}")
    info = await source.open()
    try:
        assert info.extra["profile"] == "tindeq" and info.device_name == "Progressor_7731"
        assert [(c.name, c.unit) for c in info.channels] == [("load", "kg")] and info.rate_hz == 80.0
        assert device.streaming  # the profile's on-connect command, 0x65, was written
        device.emit([0.5, 1.25, 2.0])
        device.emit([3.5])
        got = samples(await take(source, lambda items: n_samples(items) >= 4))
        await source.command("tare")
    finally:
        await source.close()
    assert got.raw[:, 0].tolist() == [0.5, 1.25, 2.0, 3.5]
    np.testing.assert_allclose(np.diff(got.t_s), 0.0125)
    assert [data for _u, data in device.peripheral.writes] == [b"\x65", b"\x64", b"\x66"]


async def test_any_known_roller_and_text_lines_over_nus(fake_bluez):
    fake_bluez.add_adapter()
    fake_bluez.add_peripheral(gadget())
    device = TextNusRoller()
    fake_bluez.add_peripheral(device.peripheral)
    source = make_source("ble:?timeout=5")  # the first device that matches a known profile
    opening = asyncio.ensure_future(source.open())
    await asyncio.wait_for(device.peripheral.subscribed.wait(), WAIT_S)
    device.emit([b"left:%d,right:%d\r\n" % (10 * i, i) for i in range(8)])
    info = await opening
    try:
        assert info.extra["profile"] == "nus" and info.extra["format"] == "text"
        assert [c.name for c in info.channels] == ["left", "right"]
        device.emit([b"left:%d,right:%d\r\n" % (10 * i, i) for i in range(8, 12)])
        got = samples(
            await take(source, lambda items: any(isinstance(i, SampleBlock) and i.raw[-1, 1] == 11 for i in items))
        )
    finally:
        await source.close()
    assert got.raw[-4:].tolist() == [[80, 8], [90, 9], [100, 10], [110, 11]]


async def test_the_roller_drops_the_link_and_the_source_reconnects(fake_bluez):
    fake_bluez.add_adapter()
    device = ReferenceBleRoller()
    fake_bluez.add_peripheral(device.peripheral)
    source = make_source("ble:SMR-Roller-1")
    await source.open()
    try:
        await until_streaming(device)
        device.emit(50)
        before = await take(source, lambda items: n_samples(items) >= 50)

        device.peripheral.drop_link(in_range=False)  # power lost: bluetoothd reports Connected=False
        gone = await take(source, lambda items: any(isinstance(i, Marker) for i in items))
        assert gone[-1].kind == "disconnected" and gone[-1].data["reason"] == "the device disconnected"
        assert source.stats.state == "reconnecting" and not source.stats.connected

        device.peripheral.in_range = True  # back: the source's next attempt connects
        await until_streaming(device)
        device.emit(30)
        after = await take(source, lambda items: n_samples(items) >= 30)
        assert source.stats.reconnects == 1 and source.stats.connected
        assert device.peripheral.connects == 2 and device.roller.boots == 2
    finally:
        await source.close()
    back = [i for i in after if isinstance(i, Marker)]
    assert [m.kind for m in back] == ["reconnected"]
    t_before, t_after = samples(before).t_s, samples(after).t_s
    assert gone[-1].t_s == t_before[-1] < back[0].t_s == t_after[0]
    np.testing.assert_array_equal(samples(after).raw, device.roller.sent.arrays()[1][-30:])
    assert not source.stats.connected and source.stats.state == "ended"


async def test_a_reconnect_waits_for_the_same_roller_not_another_of_the_same_name(fake_bluez):
    fake_bluez.add_adapter()
    ours = ReferenceBleRoller(name="SMR-Roller-1", address="F0:11:22:33:44:55", seed=3)
    fake_bluez.add_peripheral(ours.peripheral)
    source = make_source("ble:SMR-Roller-1?timeout=0.5")
    await source.open()
    try:
        await until_streaming(ours)
        # Ours goes out of range and bluetoothd forgets it; a partner's roller of the same make
        # and name is switched on nearby.
        ours.peripheral.drop_link(in_range=False)
        await take(source, lambda items: any(isinstance(i, Marker) for i in items))
        fake_bluez.remove_device(ours.peripheral._device.path)
        theirs = ReferenceBleRoller(name="SMR-Roller-1", address="F0:11:22:33:44:66", seed=4)
        fake_bluez.add_peripheral(theirs.peripheral)
        async with asyncio.timeout(WAIT_S):
            while "at F0:11:22:33:44:55" not in (source.last_error or ""):
                await asyncio.sleep(0.05)  # polled: the source's scan runs on its own task
        assert theirs.peripheral.connects == 0 and not source.stats.connected
        assert source.last_error.startswith("no BLE device at F0:11:22:33:44:55 was found")

        ours.peripheral.in_range = True
        await until_streaming(ours)
        ours.emit(20)
        after = await take(source, lambda items: n_samples(items) >= 20)
    finally:
        await source.close()
    assert [m.kind for m in after if isinstance(m, Marker)] == ["reconnected"]
    np.testing.assert_array_equal(samples(after).raw, ours.roller.sent.arrays()[1][-20:])
    assert theirs.peripheral.connects == 0


# --- bad input: one sentence each ----------------------------------------------------------------


async def test_a_name_not_found_is_one_sentence(fake_bluez):
    fake_bluez.add_adapter()
    fake_bluez.add_peripheral(gadget())
    with pytest.raises(SourceError) as err:
        await make_source("ble:Nope?timeout=0.5").open()
    assert str(err.value) == (
        "no BLE device named or at 'Nope' was found within 0.5 s; is it on and near, and not connected "
        "to another app? (`smr-sense scan` lists what is around)"
    )


async def test_no_adapter_is_one_sentence(fake_bluez):
    with pytest.raises(SourceError, match=r"^no Bluetooth adapter was found on this computer$"):
        await make_source("ble:SMR-Roller-1?timeout=1").open()


async def test_bluetooth_off_is_one_sentence(fake_bluez):
    fake_bluez.add_adapter(powered=False)
    with pytest.raises(SourceError, match=r"^Bluetooth is switched off; turn it on"):
        await make_source("ble:SMR-Roller-1?timeout=1").open()


async def test_no_bluetooth_service_is_one_sentence(system_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", system_bus.address)  # a bus with no org.bluez on it
    with pytest.raises(SourceError, match=r"^the Bluetooth service \(bluetoothd\) is not running"):
        await make_source("ble:SMR-Roller-1?timeout=1").open()


async def test_a_profile_that_does_not_match_is_one_sentence(fake_bluez):
    fake_bluez.add_adapter()
    device = ReferenceBleRoller()
    fake_bluez.add_peripheral(device.peripheral)
    with pytest.raises(SourceError) as err:
        await make_source("ble:SMR-Roller-1?profile=tindeq").open()
    assert str(err.value) == (
        "the BLE device SMR-Roller-1 has no Tindeq Progressor or an open clone (load cell, kg) service "
        "(7e4e1701-1ea6-40c9-9dcc-13d34ffead57), so the profile 'tindeq' does not match it"
    )
    assert not device.peripheral.connected  # and it let go of the device


async def test_a_device_of_no_known_kind_is_one_sentence(fake_bluez):
    fake_bluez.add_adapter()
    fake_bluez.add_peripheral(gadget())
    with pytest.raises(SourceError, match=r"^the BLE device Kettle offers no service of a known roller; "):
        await make_source("ble:Kettle").open()


def test_an_unknown_profile_is_one_sentence():
    with pytest.raises(SourceError, match=r"^unknown device profile 'fitbit': use one of reference, nus, "):
        make_source("ble:X?profile=fitbit")

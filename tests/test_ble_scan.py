"""``smr-sense scan`` as a user runs it, with bleak's real BlueZ backend against the fake BlueZ."""

import asyncio
import os
import sys

from fakebluez.fixtures import fake_bluez, system_bus  # noqa: F401
from fakebluez.rollers import ReferenceBleRoller, TextNusRoller, TindeqRoller, gadget


async def scan(*args, env_bus):
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": env_bus}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "smr_sense", "scan", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


def source_lines(out):
    return sorted(
        line.split()[0] + " " + line.split("--source ")[1] for line in out.splitlines() if "--source ble:" in line
    )


async def test_scan_lists_known_rollers_with_their_source(fake_bluez, system_bus):
    fake_bluez.add_adapter()
    for device in (ReferenceBleRoller(), TindeqRoller(), TextNusRoller()):
        fake_bluez.add_peripheral(device.peripheral)
    fake_bluez.add_peripheral(gadget())
    code, out, err = await scan("--timeout", "1", env_bus=system_bus.address)
    assert code == 0 and err == ""
    assert "BLE rollers (3 found in 1 s):" in out
    assert source_lines(out) == [
        "Progressor_7731 ble:Progressor_7731",
        "RollerSketch ble:RollerSketch",
        "SMR-Roller-1 ble:SMR-Roller-1",
    ]
    assert "Serial ports" in out or "No serial ports." in out


async def test_scan_all_lists_every_device_and_two_of_a_name_by_address(fake_bluez, system_bus):
    fake_bluez.add_adapter()
    fake_bluez.add_peripheral(ReferenceBleRoller(address="F0:00:00:00:00:01").peripheral)
    fake_bluez.add_peripheral(ReferenceBleRoller(address="F0:00:00:00:00:02").peripheral)
    fake_bluez.add_peripheral(gadget())
    code, out, _ = await scan("--all", "--timeout", "1", env_bus=system_bus.address)
    assert code == 0
    assert source_lines(out) == [
        "Kettle ble:Kettle?profile=...",
        "SMR-Roller-1 ble:F0:00:00:00:00:01",
        "SMR-Roller-1 ble:F0:00:00:00:00:02",
    ]


async def test_scan_without_an_adapter_says_so_and_still_lists_serial_ports(fake_bluez, system_bus):
    code, out, err = await scan("--timeout", "1", env_bus=system_bus.address)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "No Bluetooth adapter was found on this computer."
    assert lines[1].startswith("Serial ports (") or lines[1] == "No serial ports."


def test_scan_all_without_ble_is_refused_in_one_sentence(capsys):
    # --all widens the BLE scan only: with --no-ble it was accepted and did nothing.
    from smr_sense.cli import main

    assert main(["scan", "--no-ble", "--all"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "smr-sense: error: --all lists every BLE device heard, so it cannot go with --no-ble\n"

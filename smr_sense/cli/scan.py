"""``smr-sense scan``: rollers within reach, each with the ``--source`` string that opens it.

Lists BLE devices that match a known device profile (``--all``: every BLE device heard), serial
ports, and virtual rollers started with ``smr-sense emulate --pty``. With no Bluetooth adapter it
says so in one sentence and still lists the serial ports; that is not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from smr_sense.cli.common import positive_float, require
from smr_sense.core.words import as_sentence


@dataclass(frozen=True)
class Found:
    kind: str  # ble | serial | virtual
    name: str
    detail: str
    source: str


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scan",
        help="list rollers nearby (BLE) and serial ports, with the --source to use",
        description="List BLE rollers that match a known device profile, serial ports and virtual rollers, "
        "each with the --source string that opens it.",
    )
    p.add_argument("--all", action="store_true", help="list every BLE device heard, not only known rollers")
    p.add_argument("--timeout", type=positive_float, default=5.0, metavar="S", help="BLE scan time (default 5 s)")
    p.add_argument("--no-ble", action="store_true", help="skip the BLE scan (serial ports only)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require(not (args.all and args.no_ble), "--all lists every BLE device heard, so it cannot go with --no-ble")
    ble: list[Found] = []
    ble_note: str | None = None
    if not args.no_ble:
        ble, ble_note = asyncio.run(scan_ble(args.timeout, args.all))
    ports = serial_ports()
    virtual = virtual_rollers()
    out = sys.stdout
    if ble_note:
        out.write(f"{ble_note}.\n")
    elif not args.no_ble:
        what = "BLE devices" if args.all else "BLE rollers"
        out.write(
            f"{what} ({len(ble)} found in {args.timeout:g} s):\n"
            if ble
            else f"No {what} found in {args.timeout:g} s.\n"
        )
        _table(ble, out)
    out.write(f"Serial ports ({len(ports)}):\n" if ports else "No serial ports.\n")
    _table(ports, out)
    if virtual:
        out.write(f"Virtual rollers ({len(virtual)}):\n")
        _table(virtual, out)
    return 0


def _table(rows: list[Found], out: object) -> None:
    if not rows:
        return
    width_name = max(len(r.name) for r in rows)
    width_detail = max(len(r.detail) for r in rows)
    for r in rows:
        out.write(f"  {r.name:<{width_name}}  {r.detail:<{width_detail}}  --source {r.source}\n")  # type: ignore[attr-defined]


async def scan_ble(timeout_s: float, every_device: bool) -> tuple[list[Found], str | None]:
    """BLE devices heard within ``timeout_s``; (rows, None), or ([], one sentence) when BLE is unusable."""
    from bleak import BleakScanner
    from bleak.exc import BleakError

    from smr_sense.devices.profiles import match_advertisement
    from smr_sense.sources.ble import bluetooth_unavailable_sentence

    try:
        heard = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except (BleakError, OSError) as err:
        sentence = bluetooth_unavailable_sentence(err) or f"The BLE scan failed ({err})"
        return [], as_sentence(sentence)
    names: dict[str, int] = {}
    for _device, adv in heard.values():
        if adv.local_name:
            names[adv.local_name] = names.get(adv.local_name, 0) + 1
    rows: list[tuple[int, Found]] = []
    for device, adv in heard.values():
        profile = match_advertisement(adv.local_name, adv.service_uuids)
        if profile is None and not every_device:
            continue
        name = adv.local_name or device.name or "(no name)"
        # a name opens the device only if no other device nearby has it
        target = adv.local_name if adv.local_name and names[adv.local_name] == 1 else device.address
        detail = f"{device.address}  {adv.rssi:>4} dBm  {profile.name if profile else 'unknown'}"
        # the source finds the profile from the advertisement; an unknown device needs one named
        source = f"ble:{target}" if profile is not None else f"ble:{target}?profile=..."
        rows.append((-(adv.rssi or -127), Found("ble", name, detail, source)))
    rows.sort(key=lambda r: (r[0], r[1].name))
    return [r for _, r in rows], None


def serial_ports() -> list[Found]:
    from serial.tools import list_ports

    rows = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        detail = next((d for d in (port.description, port.hwid) if d and d != "n/a"), "")
        rows.append(Found("serial", port.device, detail, f"serial:{port.device}"))
    return rows


def virtual_rollers() -> list[Found]:
    """Emulators running here (their stable links point at a live pty)."""
    import tempfile

    from smr_sense.emulator.pty import announced_links

    rows = []
    # The default links, and those a running emulator announced (made with --link anywhere).
    links = set(Path(tempfile.gettempdir()).glob("smr-roller[0-9]*")) | set(announced_links())
    for link in sorted(links):
        if link.is_symlink() and link.exists() and not link.name.endswith(".new"):
            rows.append(Found("virtual", str(link), f"-> {link.resolve()}", f"serial:{link}"))
    return rows

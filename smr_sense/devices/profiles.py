"""Device profiles: what a roller model looks like on a link, as data (``builtin.json``).

A profile says how to recognise a device (advertised name patterns, service UUID), where its data
and commands go (GATT characteristic UUIDs), which wire decoder reads it (``reference``, ``text``,
``tindeq`` or ``auto``), the channel layout when the device cannot announce one, and which
commands it takes and which are sent on connect and on close. Adding a device family means adding
an entry to the JSON file, not code, unless it speaks a new wire format.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from smr_sense.core.samples import Channel
from smr_sense.errors import SmrError

DECODERS = ("reference", "text", "tindeq", "auto")
TRANSPORTS = ("serial", "ble")


class ProfileError(SmrError):
    """An unknown profile name, or a profile that cannot serve the link it was asked for."""


@dataclass(frozen=True)
class BleLayout:
    """Where a profile's data lives over BLE. UUIDs are lower-case, 128-bit."""

    service_uuid: str
    notify_uuid: str
    write_uuid: str | None = None
    write_with_response: bool = False
    name_patterns: tuple[str, ...] = ()

    def name_matches(self, name: str | None) -> bool:
        return bool(name) and any(fnmatch.fnmatchcase(name, p) for p in self.name_patterns)


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    title: str
    transports: tuple[str, ...]
    decoder: str
    ble: BleLayout | None = None
    baud: int = 115200
    channels: tuple[Channel, ...] = ()
    rate_hz: float | None = None
    commands: dict[str, bytes] = field(default_factory=dict)
    on_connect: tuple[str, ...] = ()
    on_close: tuple[str, ...] = ()

    def supports(self, transport: str) -> bool:
        return transport in self.transports

    @property
    def speaks_reference(self) -> bool:
        """Reference frames are (or may be) on the link, so reference commands can be sent."""
        return self.decoder in ("reference", "auto")

    def command_names(self) -> tuple[str, ...]:
        if self.commands:
            return tuple(self.commands)
        if self.speaks_reference:
            from smr_sense.core.wire.protocol import COMMAND_CODES

            return tuple(COMMAND_CODES)
        return ()

    def encode_command(self, name: str, **args: Any) -> bytes:
        """The bytes that ask this device to do ``name`` (``tare``, ``start``, ``set_rate`` ...)."""
        if name in self.commands:
            if args:
                raise ProfileError(f"the {self.name} profile's command '{name}' takes no arguments")
            return self.commands[name]
        if self.speaks_reference and not self.commands:
            from smr_sense.core.wire.encode import encode_command
            from smr_sense.core.wire.protocol import COMMAND_CODES

            if name in COMMAND_CODES:
                rate = args.pop("rate_hz", None)
                token = int(args.pop("token", 0))
                if args:
                    raise ProfileError(f"the command '{name}' does not take {', '.join(sorted(args))}")
                if name == "set_rate" and rate is None:
                    raise ProfileError("the command 'set_rate' needs rate_hz")
                return encode_command(name, token=token, rate_hz=rate)
        known = ", ".join(self.command_names()) or "none"
        raise ProfileError(f"the {self.name} profile has no command '{name}' (it takes: {known})")

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DeviceProfile:
        name = str(obj["name"])
        decoder = str(obj["decoder"])
        if decoder not in DECODERS:
            raise ProfileError(f"profile {name!r} names the unknown decoder {decoder!r}")
        transports = tuple(obj["transports"])
        if not transports or any(t not in TRANSPORTS for t in transports):
            raise ProfileError(f"profile {name!r} has transports {list(transports)}; use serial and/or ble")
        ble = None
        if "ble" in obj:
            b = obj["ble"]
            ble = BleLayout(
                service_uuid=str(b["service_uuid"]).lower(),
                notify_uuid=str(b["notify_uuid"]).lower(),
                write_uuid=str(b["write_uuid"]).lower() if b.get("write_uuid") else None,
                write_with_response=bool(b.get("write_with_response", False)),
                name_patterns=tuple(b.get("name_patterns", ())),
            )
        if "ble" in transports and ble is None:
            raise ProfileError(f"profile {name!r} is for BLE but has no 'ble' section")
        rate = obj.get("rate_hz")
        return cls(
            name=name,
            title=str(obj.get("title", name)),
            transports=transports,
            decoder=decoder,
            ble=ble,
            baud=int(obj.get("baud", 115200)),
            channels=tuple(Channel.from_json(c) for c in obj.get("channels", ())),
            rate_hz=float(rate) if rate is not None else None,
            commands={k: bytes.fromhex(v) for k, v in obj.get("commands", {}).items()},
            on_connect=tuple(obj.get("on_connect", ())),
            on_close=tuple(obj.get("on_close", ())),
        )


@cache
def builtin_profiles() -> tuple[DeviceProfile, ...]:
    text = resources.files("smr_sense.devices").joinpath("builtin.json").read_text(encoding="utf-8")
    return tuple(DeviceProfile.from_json(p) for p in json.loads(text)["profiles"])


def profile_names(transport: str | None = None) -> list[str]:
    return [p.name for p in builtin_profiles() if transport is None or p.supports(transport)]


def get_profile(name: str, transport: str | None = None) -> DeviceProfile:
    """The built-in profile called ``name``, checked to work over ``transport``."""
    for profile in builtin_profiles():
        if profile.name == name:
            if transport is not None and not profile.supports(transport):
                raise ProfileError(
                    f"the {name} profile does not work over {transport}; "
                    f"use one of {', '.join(profile_names(transport))}"
                )
            return profile
    choices = ", ".join(profile_names(transport))
    raise ProfileError(f"unknown device profile '{name}': use one of {choices}")


def match_advertisement(name: str | None, service_uuids: list[str] | tuple[str, ...]) -> DeviceProfile | None:
    """The profile a BLE advertisement points to: a service UUID first (exact), then a name pattern.

    Several profiles share the Nordic UART Service; the first listed (``nus``, which tells binary
    from text by what arrives) wins, so the file's order is the preference order.
    """
    uuids = {u.lower() for u in service_uuids}
    ble_profiles = [p for p in builtin_profiles() if p.ble is not None]
    for profile in ble_profiles:
        assert profile.ble is not None
        if profile.ble.service_uuid in uuids:
            return profile
    for profile in ble_profiles:
        assert profile.ble is not None
        if profile.ble.name_matches(name):
            return profile
    return None


def match_services(service_uuids: list[str] | tuple[str, ...] | set[str]) -> DeviceProfile | None:
    """The profile whose GATT service a connected device offers (when it advertised none we know)."""
    return match_advertisement(None, list(service_uuids))


def known_service_uuids() -> list[str]:
    """Every service UUID a known BLE profile advertises, for a filtered scan."""
    out: list[str] = []
    for profile in builtin_profiles():
        if profile.ble is not None and profile.ble.service_uuid not in out:
            out.append(profile.ble.service_uuid)
    return out

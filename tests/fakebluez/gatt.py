"""The fake BlueZ's GATT objects: ``org.bluez.GattService1`` and ``org.bluez.GattCharacteristic1``.

A characteristic's notifications are ``PropertiesChanged`` on its ``Value`` while a client has
called ``StartNotify``, as bluetoothd sends them; writes go to the peripheral's firmware model.
No ``from __future__ import annotations``: dbus-fast reads D-Bus signatures from annotations.
"""

from dataclasses import dataclass
from typing import Any

from dbus_fast import DBusError
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method


@dataclass
class CharSpec:
    """One GATT characteristic of a peripheral: its UUID and BlueZ flags ("notify", "write", ...)."""

    uuid: str
    flags: tuple[str, ...]


@dataclass
class ServiceSpec:
    uuid: str
    chars: tuple[CharSpec, ...]


class ServiceInterfaceGatt(ServiceInterface):
    def __init__(self, uuid: str, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.uuid = uuid.lower()
        self.device_path = device_path

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: N802
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> "b":  # noqa: N802
        return True

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> "o":  # noqa: N802
        return self.device_path

    @dbus_property(access=PropertyAccess.READ)
    def Includes(self) -> "ao":  # noqa: N802
        return []


class CharacteristicInterface(ServiceInterface):
    def __init__(self, peripheral: Any, spec: CharSpec, service_path: str) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self.peripheral = peripheral
        self.uuid = spec.uuid.lower()
        self.flags = list(spec.flags)
        self.service_path = service_path
        self.value = b""
        self.notifying = False

    def set_value(self, value: bytes) -> None:
        self.value = value
        if self.notifying:
            self.emit_properties_changed({"Value": value})

    @method()
    def ReadValue(self, options: "a{sv}") -> "ay":  # noqa: N802
        if "read" not in self.flags:
            raise DBusError("org.bluez.Error.NotPermitted", "Read not permitted")
        return self.value

    @method()
    def WriteValue(self, value: "ay", options: "a{sv}"):  # noqa: N802
        if "write" not in self.flags and "write-without-response" not in self.flags:
            raise DBusError("org.bluez.Error.NotPermitted", "Write not permitted")
        data = bytes(value)
        self.peripheral.writes.append((self.uuid, data))
        if self.peripheral.on_write:
            self.peripheral.on_write(self.uuid, data)

    @method()
    def StartNotify(self):  # noqa: N802
        if "notify" not in self.flags and "indicate" not in self.flags:
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        if not self.notifying:
            self.notifying = True
            self.emit_properties_changed({"Notifying": True})
        self.peripheral.subscribed.set()

    @method()
    def StopNotify(self):  # noqa: N802
        if self.notifying:
            self.notifying = False
            self.emit_properties_changed({"Notifying": False})

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> "s":  # noqa: N802
        return self.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> "o":  # noqa: N802
        return self.service_path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> "ay":  # noqa: N802
        return self.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> "b":  # noqa: N802
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> "as":  # noqa: N802
        return self.flags

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> "q":  # noqa: N802
        return 247

"""A fake BlueZ (``org.bluez``) on a private bus, written with dbus-fast, for bleak's real backend.

It implements what bleak 3.x's BlueZ backend uses (see bleak/backends/bluezdbus/manager.py and
client.py): the ObjectManager (dbus-fast answers ``GetManagedObjects`` and emits
``InterfacesAdded``/``InterfacesRemoved`` on export/unexport), ``Adapter1`` (SetDiscoveryFilter,
StartDiscovery, StopDiscovery, RemoveDevice), ``Device1`` (Connect, Disconnect, Pair), and
``GattService1``/``GattCharacteristic1`` (ReadValue, WriteValue, StartNotify, StopNotify) with
notifications as ``PropertiesChanged`` on ``Value``, exactly as bluetoothd sends them.

Like bluetoothd, while discovery is on it re-announces each advertising device (an RSSI change
every 100 ms): bleak reports a device to its scanner only on ``InterfacesAdded`` or a
``PropertiesChanged`` on ``Device1``, so a device that was already known would otherwise never be
"found" by ``find_device_by_name``.

No ``from __future__ import annotations`` here: dbus-fast reads D-Bus signatures from annotations.
"""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from dbus_fast import BusType, DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property, method

from .gatt import CharacteristicInterface, CharSpec, ServiceInterfaceGatt, ServiceSpec

__all__ = ["CharSpec", "FakeBlueZ", "Peripheral", "ServiceSpec"]

BLUEZ = "org.bluez"
RSSI_PERIOD_S = 0.1


@dataclass
class Peripheral:
    """A BLE device in range of the fake adapter.

    ``on_write(char_uuid, data)`` is the device's firmware receiving a write; ``on_connect`` and
    ``on_disconnect`` let a test's device model start and stop streaming. ``in_range=False`` makes
    the device stop advertising and refuse connections (it vanished).
    """

    address: str
    name: str
    advertised_uuids: tuple[str, ...]
    services: tuple[ServiceSpec, ...]
    in_range: bool = True
    on_write: Callable[[str, bytes], None] | None = None
    on_connect: Callable[[], None] | None = None
    on_disconnect: Callable[[], None] | None = None
    writes: list[tuple[str, bytes]] = field(default_factory=list)
    connects: int = 0
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)  # a host called StartNotify
    # set by FakeBlueZ
    _device: "DeviceInterface | None" = None

    @property
    def connected(self) -> bool:
        return self._device is not None and self._device.connected

    def notifying(self, char_uuid: str) -> bool:
        char = self._device.char(char_uuid) if self._device else None
        return char is not None and char.notifying

    def notify(self, char_uuid: str, data: bytes) -> None:
        """Send one notification (as bluetoothd does: PropertiesChanged on the characteristic's Value)."""
        assert self._device is not None and self._device.connected, "notify needs a connected device"
        char = self._device.char(char_uuid)
        assert char is not None, f"no characteristic {char_uuid}"
        char.set_value(bytes(data))

    def drop_link(self, *, in_range: bool = True) -> None:
        """The roller ends the connection (power loss, out of range): bluetoothd reports it as a disconnect."""
        assert self._device is not None
        self.in_range = in_range
        self._device.link_lost()


class AdapterInterface(ServiceInterface):
    def __init__(self, bluez: "FakeBlueZ", path: str, address: str, powered: bool) -> None:
        super().__init__("org.bluez.Adapter1")
        self.bluez = bluez
        self.path = path
        self._address = address
        self._powered = powered
        self._discovery_sessions = 0
        self._uuid_filter: list[str] = []
        self._announcer: asyncio.Task[None] | None = None

    @property
    def discovering(self) -> bool:
        return self._discovery_sessions > 0

    @method()
    def SetDiscoveryFilter(self, properties: "a{sv}"):  # noqa: N802 (D-Bus names)
        uuids = properties.get("UUIDs")
        self._uuid_filter = [u.lower() for u in uuids.value] if uuids is not None else []

    @method()
    def StartDiscovery(self):  # noqa: N802
        if not self._powered:
            raise DBusError("org.bluez.Error.NotReady", "Resource Not Ready")
        self._discovery_sessions += 1
        if self._discovery_sessions == 1:
            self.emit_properties_changed({"Discovering": True})
            self._announcer = asyncio.get_running_loop().create_task(self._announce())

    @method()
    def StopDiscovery(self):  # noqa: N802
        if self._discovery_sessions == 0:
            raise DBusError("org.bluez.Error.Failed", "No discovery started")
        self._discovery_sessions -= 1
        if self._discovery_sessions == 0:
            if self._announcer is not None:
                self._announcer.cancel()
                self._announcer = None
            self.emit_properties_changed({"Discovering": False})

    @method()
    def RemoveDevice(self, device: "o"):  # noqa: N802
        self.bluez.remove_device(device)

    @method()
    def GetDiscoveryFilters(self) -> "as":  # noqa: N802
        return ["UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable", "Pattern"]

    def _passes_filter(self, peripheral: Peripheral) -> bool:
        if not self._uuid_filter:
            return True
        return any(u.lower() in self._uuid_filter for u in peripheral.advertised_uuids)

    async def _announce(self) -> None:
        """Advertisements heard while scanning: a new device appears, a known one changes RSSI."""
        tick = 0
        while True:
            for peripheral in self.bluez.peripherals_of(self.path):
                if peripheral.in_range and not peripheral.connected and self._passes_filter(peripheral):
                    device = self.bluez.ensure_device(self.path, peripheral)
                    device.set_rssi(-55 - tick % 7)
            tick += 1
            await asyncio.sleep(RSSI_PERIOD_S)

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":  # noqa: N802
        return self._address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":  # noqa: N802
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":  # noqa: N802
        return "fake-hci"

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":  # noqa: N802
        return "fake-hci"

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> "b":  # noqa: N802
        return self._powered

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> "b":  # noqa: N802
        return self.discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> "as":  # noqa: N802
        return ["central", "peripheral"]

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":  # noqa: N802
        return []


class DeviceInterface(ServiceInterface):
    def __init__(self, bluez: "FakeBlueZ", adapter_path: str, peripheral: Peripheral) -> None:
        super().__init__("org.bluez.Device1")
        self.bluez = bluez
        self.adapter_path = adapter_path
        self.peripheral = peripheral
        self.path = f"{adapter_path}/dev_{peripheral.address.upper().replace(':', '_')}"
        self.connected = False
        self.services_resolved = False
        self.rssi = -60
        self._gatt: list[tuple[str, ServiceInterface]] = []

    def set_rssi(self, rssi: int) -> None:
        self.rssi = rssi
        self.emit_properties_changed({"RSSI": rssi})

    def char(self, uuid: str) -> "CharacteristicInterface | None":
        for _, iface in self._gatt:
            if isinstance(iface, CharacteristicInterface) and iface.uuid == uuid.lower():
                return iface
        return None

    @method()
    async def Connect(self):  # noqa: N802
        if self.connected:
            return
        if not self.peripheral.in_range:
            await asyncio.sleep(0.05)
            raise DBusError("org.bluez.Error.Failed", "Software caused connection abort")
        self.connected = True
        self.peripheral.connects += 1
        self.emit_properties_changed({"Connected": True})
        self._export_gatt()
        self.services_resolved = True
        self.emit_properties_changed({"ServicesResolved": True})
        if self.peripheral.on_connect:
            self.peripheral.on_connect()

    @method()
    def Disconnect(self):  # noqa: N802
        self.link_lost()

    @method()
    def Pair(self):  # noqa: N802
        raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")

    @method()
    def CancelPairing(self):  # noqa: N802
        pass

    def link_lost(self) -> None:
        if not self.connected:
            return
        self.connected = False
        self.peripheral.subscribed.clear()
        if self.peripheral.on_disconnect:
            self.peripheral.on_disconnect()
        self.services_resolved = False
        self.emit_properties_changed({"ServicesResolved": False})
        self._unexport_gatt()
        self.emit_properties_changed({"Connected": False})

    def _export_gatt(self) -> None:
        handle = 0x000A
        for service in self.peripheral.services:
            service_path = f"{self.path}/service{handle:04x}"
            handle += 1
            service_iface = ServiceInterfaceGatt(service.uuid, self.path)
            self.bluez.bus.export(service_path, service_iface)
            self._gatt.append((service_path, service_iface))
            for spec in service.chars:
                char_path = f"{service_path}/char{handle:04x}"
                handle += 1
                char_iface = CharacteristicInterface(self.peripheral, spec, service_path)
                self.bluez.bus.export(char_path, char_iface)
                self._gatt.append((char_path, char_iface))

    def _unexport_gatt(self) -> None:
        for path, iface in reversed(self._gatt):
            self.bluez.bus.unexport(path, iface)
        self._gatt.clear()

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> "s":  # noqa: N802
        return self.peripheral.address.upper()

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> "s":  # noqa: N802
        return "random"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> "s":  # noqa: N802
        return self.peripheral.name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> "s":  # noqa: N802
        return self.peripheral.name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> "o":  # noqa: N802
        return self.adapter_path

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> "as":  # noqa: N802
        return [u.lower() for u in self.peripheral.advertised_uuids]

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> "b":  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> "b":  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Trusted(self) -> "b":  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> "b":  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def LegacyPairing(self) -> "b":  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> "b":  # noqa: N802
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> "b":  # noqa: N802
        return self.services_resolved

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> "n":  # noqa: N802
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> "a{qv}":  # noqa: N802
        return {}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> "a{sv}":  # noqa: N802
        return {}


class FakeBlueZ:
    """``org.bluez`` on the bus at ``address``. Add adapters and peripherals, then ``await start()``."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.bus = MessageBus(bus_address=address, bus_type=BusType.SYSTEM)
        self.adapters: dict[str, AdapterInterface] = {}
        self._peripherals: dict[str, list[Peripheral]] = {}
        self._devices: dict[str, DeviceInterface] = {}

    async def start(self) -> "FakeBlueZ":
        await self.bus.connect()
        await self.bus.request_name(BLUEZ)
        return self

    def add_adapter(self, name: str = "hci0", *, powered: bool = True) -> str:
        path = f"/org/bluez/{name}"
        adapter = AdapterInterface(self, path, "00:1A:7D:DA:71:13", powered)
        self.adapters[path] = adapter
        self._peripherals.setdefault(path, [])
        self.bus.export(path, adapter)
        return path

    def add_peripheral(self, peripheral: Peripheral, adapter: str = "/org/bluez/hci0") -> Peripheral:
        self._peripherals[adapter].append(peripheral)
        return peripheral

    def peripherals_of(self, adapter_path: str) -> list[Peripheral]:
        return list(self._peripherals.get(adapter_path, []))

    def ensure_device(self, adapter_path: str, peripheral: Peripheral) -> DeviceInterface:
        if peripheral._device is None:
            device = DeviceInterface(self, adapter_path, peripheral)
            peripheral._device = device
            self._devices[device.path] = device
            self.bus.export(device.path, device)
        return peripheral._device

    def remove_device(self, path: str) -> None:
        device = self._devices.pop(path, None)
        if device is None:
            raise DBusError("org.bluez.Error.DoesNotExist", "Does Not Exist")
        device.link_lost()
        self.bus.unexport(path, device)
        device.peripheral._device = None

    async def stop(self) -> None:
        for adapter in self.adapters.values():
            if adapter._announcer is not None:
                adapter._announcer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await adapter._announcer
        self.bus.disconnect()
        with contextlib.suppress(Exception):
            await self.bus.wait_for_disconnect()

"""``ble:NAME_OR_ADDRESS[?profile=..&timeout=10&adapter=hci0]``: a roller over Bluetooth Low Energy (bleak).

The target is a device name (``ble:SMR-Roller``), an address (``ble:F0:11:22:33:44:55``, or the
UUID macOS uses), an advertised service UUID (``ble:7e4e1701-1ea6-40c9-9dcc-13d34ffead57``), or
empty (``ble:``: the first device that matches a known profile). The profile comes from the
advertisement (service UUID, then name pattern), then from the GATT services once connected;
``?profile=tindeq`` overrides and is checked against the device's services.

The notify callback only stamps and enqueues the bytes (bleak's advice for heavy work); decoding
happens in the consumer. A disconnect the roller starts is reported by bleak's disconnected
callback; the source marks the gap and reconnects with backoff, scanning again if the system
forgot the device.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakError,
)

from smr_sense.devices.profiles import (
    DeviceProfile,
    ProfileError,
    get_profile,
    match_advertisement,
    match_services,
    profile_names,
)
from smr_sense.sources.base import SourceError
from smr_sense.sources.link import LinkSource
from smr_sense.sources.spec import SourceSpec

OPTIONS = {"profile", "timeout", "adapter", "rate", "reconnect", "columns"}
ADDRESS_RE = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
CONNECT_TIMEOUT_S = 20.0


def bluetooth_unavailable_sentence(err: BaseException) -> str | None:
    """One sentence when ``err`` means Bluetooth itself is unusable here; None for other errors."""
    if isinstance(err, BleakBluetoothNotAvailableError):
        reason = err.reason
        if reason == BleakBluetoothNotAvailableReason.POWERED_OFF:
            return "Bluetooth is switched off; turn it on (e.g. `bluetoothctl power on`) and try again"
        if reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
        ):
            return "this program is not allowed to use Bluetooth (check the system's Bluetooth permissions)"
        if reason == BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE:
            return "the Bluetooth adapter here cannot talk to Bluetooth Low Energy devices"
        return "no Bluetooth adapter was found on this computer"
    if isinstance(err, BleakDBusError) and err.dbus_error in (
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ):
        return "the Bluetooth service (bluetoothd) is not running, so no Bluetooth adapter is available"
    if isinstance(err, (FileNotFoundError, ConnectionRefusedError)):
        return "no Bluetooth adapter is available here (there is no system D-Bus to reach BlueZ)"
    if isinstance(err, BleakError) and "adapter" in str(err) and "not found" in str(err):
        return f"the Bluetooth adapter was not found ({err})"
    return None


def _ble_error_sentence(err: BaseException, doing: str) -> str:
    return bluetooth_unavailable_sentence(err) or f"Bluetooth error while {doing}: {_detail(err)}"


def _detail(err: BaseException) -> str:
    if isinstance(err, BleakDBusError):
        return err.dbus_error_details or err.dbus_error
    return str(err) or type(err).__name__


class BleSource(LinkSource):
    def __init__(
        self,
        spec: str,
        target: str,
        profile: DeviceProfile | None,
        *,
        scan_timeout_s: float = 10.0,
        adapter: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(spec, profile, **kwargs)  # type: ignore[arg-type]
        self.target = target
        self.forced_profile = profile is not None
        self.scan_timeout_s = scan_timeout_s
        self.adapter = adapter
        self.device: BLEDevice | None = None
        self._address: str | None = None  # of the device first found: a reconnect looks only for it
        self.advertisement: AdvertisementData | None = None
        self._client: BleakClient | None = None

    def _describe_link(self) -> str:
        if self.device is not None:
            return f"the BLE device {self.device.name or self.device.address}"
        return f"the BLE device {self.target or '(any known roller)'}"

    def _identity(self) -> tuple[str, str]:
        if self.device is None:
            return self.spec, self.target
        return f"ble:{self.device.address}", self.device.name or self.device.address

    def _mismatch_hint(self) -> str:
        names = ", ".join(n for n in profile_names("ble") if n != self.profile.name)
        return f" (if it is another kind of device, choose its profile with ?profile=: {names})"

    # --- finding the device ----------------------------------------------------------------------

    def _wanted(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        if self._address is not None:
            # Found once: only that roller will do. Another with the same name (a partner's, the
            # gym's) must not take over the session when the system has forgotten ours.
            return device.address.upper() == self._address.upper()
        target = self.target
        if not target:
            return match_advertisement(adv.local_name, adv.service_uuids) is not None
        if ADDRESS_RE.match(target):
            return device.address.upper() == target.upper()
        if UUID_RE.match(target):
            t = target.lower()
            return device.address.lower() == t or t in (u.lower() for u in adv.service_uuids)
        return adv.local_name == target or device.name == target

    async def _find(self) -> None:
        found: dict[str, AdvertisementData] = {}

        def wanted(device: BLEDevice, adv: AdvertisementData) -> bool:
            if self._wanted(device, adv):
                found[device.address] = adv
                return True
            return False

        kwargs: dict[str, Any] = {"bluez": {"adapter": self.adapter}} if self.adapter else {}
        try:
            device = await BleakScanner.find_device_by_filter(wanted, timeout=self.scan_timeout_s, **kwargs)
        except (BleakError, OSError) as err:
            raise SourceError(_ble_error_sentence(err, "scanning")) from None
        if device is None:
            if self._address is not None:
                what = f"at {self._address}"
            else:
                what = f"named or at '{self.target}'" if self.target else "that matches a known roller profile"
            raise SourceError(
                f"no BLE device {what} was found within {self.scan_timeout_s:g} s; "
                "is it on and near, and not connected to another app? (`smr-sense scan` lists what is around)"
            )
        self.device = device
        self._address = device.address
        self.advertisement = found.get(device.address)

    def _choose_profile(self, services: set[str]) -> DeviceProfile:
        """The profile to use: forced, else from the advertisement, else from the GATT services."""
        if self.forced_profile:
            assert self.profile is not None and self.profile.ble is not None
            if self.profile.ble.service_uuid not in services:
                raise SourceError(
                    f"{self._describe_link()} has no {self.profile.title} service "
                    f"({self.profile.ble.service_uuid}), so the profile '{self.profile.name}' does not match it"
                )
            return self.profile
        adv = self.advertisement
        candidates = []
        if adv is not None:
            advertised = match_advertisement(adv.local_name, adv.service_uuids)
            if advertised is not None:
                candidates.append(advertised)
        served = match_services(services)
        if served is not None:
            candidates.append(served)
        for profile in candidates:
            assert profile.ble is not None
            if profile.ble.service_uuid in services:
                return profile
        raise SourceError(
            f"{self._describe_link()} offers no service of a known roller; "
            f"if you know what it is, choose a profile with ?profile= ({', '.join(profile_names('ble'))})"
        )

    # --- the link ----------------------------------------------------------------------------------

    async def _connect(self) -> None:
        if self.device is None:
            await self._find()
        assert self.device is not None
        link = self._link
        client = BleakClient(
            self.device,
            disconnected_callback=lambda _c: self._on_disconnected(link),
            timeout=CONNECT_TIMEOUT_S,
            bluez={"adapter": self.adapter} if self.adapter else {},
        )
        try:
            await client.connect()
        except BleakDeviceNotFoundError:
            self.device = None  # the system forgot it: scan again next time
            raise SourceError(f"{self._describe_link()} is no longer known to the system") from None
        except (BleakError, OSError, TimeoutError) as err:
            # BlueZ drops a device it has not seen for a while, and bleak may say so as a plain
            # BleakError ("device 'dev_…' not found"): the next attempt scans again (for this
            # device's address only), or it would retry a forgotten path for ever.
            sentence = _ble_error_sentence(err, f"connecting to {self._describe_link()}")
            self.device = None
            raise SourceError(sentence) from None
        self._client = client
        try:
            services = {s.uuid.lower() for s in client.services}
            self.profile = self._choose_profile(services)
            assert self.profile.ble is not None
            await client.start_notify(self.profile.ble.notify_uuid, lambda _ch, data: self._on_notify(link, data))
        except BaseException:
            await self._disconnect()
            raise

    def _on_notify(self, link: int, data: bytearray) -> None:
        # bleak calls this on the event loop: stamp and enqueue, nothing more
        self._deliver(bytes(data), time.time(), link)

    def _on_disconnected(self, link: int) -> None:
        if not self._closing and link == self._link:
            self._link_lost("the device disconnected", link)

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.disconnect()
        except (BleakError, OSError, TimeoutError):
            pass  # already gone

    async def _write(self, data: bytes) -> None:
        client = self._client
        if client is None or not client.is_connected or self.profile is None or self.profile.ble is None:
            raise SourceError(f"{self._describe_link()} is not connected")
        if not self.profile.ble.write_uuid:
            raise SourceError(f"the {self.profile.name} profile takes no commands")
        try:
            await client.write_gatt_char(
                self.profile.ble.write_uuid, data, response=self.profile.ble.write_with_response
            )
        except (BleakError, OSError) as err:
            raise SourceError(f"could not write to {self._describe_link()}: {_detail(err)}") from None


def make_source(spec: SourceSpec) -> BleSource:
    spec.check_options(OPTIONS)
    profile = None
    name = spec.option("profile")
    if name:
        try:
            profile = get_profile(name, "ble")
        except ProfileError as err:
            raise SourceError(str(err)) from None
    rate = spec.options.get("rate")
    return BleSource(
        spec.text,
        spec.target,
        profile,
        scan_timeout_s=spec.positive_option("timeout", 10.0, "a time in seconds"),
        adapter=spec.option("adapter"),
        handshake_timeout_s=3.0,
        reconnect=spec.bool_option("reconnect", True),
        text_rate_hz=spec.positive_option("rate", 0.0, "a rate in samples per second") if rate is not None else None,
        text_columns=spec.columns_option(),
    )

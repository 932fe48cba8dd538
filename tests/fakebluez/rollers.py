"""Roller firmware models for the fake BlueZ: what a device does with writes, and what it notifies.

``ReferenceBleRoller`` wraps the emulator's :class:`VirtualRoller` (the same protocol engine the pty
emulator runs) behind the reference GATT service or the Nordic UART Service, packing several frames
into each notification as firmware does when the MTU allows. ``TindeqRoller`` is a Progressor
written from its public protocol, independently of the host's decoder.
"""

import asyncio
import struct

from smr_sense.core.wire import (
    BLE_COMMAND_UUID,
    BLE_DATA_UUID,
    BLE_SERVICE_UUID,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
)
from smr_sense.core.wire.tindeq import TINDEQ_CONTROL_UUID, TINDEQ_DATA_UUID, TINDEQ_SERVICE_UUID
from smr_sense.emulator import sim_virtual_roller

from .bluez import CharSpec, Peripheral, ServiceSpec

NOTIFY_PAYLOAD = 244  # ATT MTU 247 - 3
GENERIC_ACCESS = ServiceSpec(
    "00001800-0000-1000-8000-00805f9b34fb", (CharSpec("00002a00-0000-1000-8000-00805f9b34fb", ("read",)),)
)


class ReferenceBleRoller:
    def __init__(
        self, name="SMR-Roller-1", address="F0:11:22:33:44:55", *, nus=False, seed=3, build="imu", advertise=True
    ):
        self.roller = sim_virtual_roller(build=build, seed=seed, rate_hz=100.0)
        self.streaming = asyncio.Event()  # the host's "start" arrived
        service, self.data_uuid, self.command_uuid = (
            (NUS_SERVICE_UUID, NUS_TX_UUID, NUS_RX_UUID) if nus else (BLE_SERVICE_UUID, BLE_DATA_UUID, BLE_COMMAND_UUID)
        )
        self.peripheral = Peripheral(
            address=address,
            name=name,
            advertised_uuids=(service,) if advertise else (),
            services=(
                GENERIC_ACCESS,
                ServiceSpec(
                    service,
                    (
                        CharSpec(self.data_uuid, ("notify",)),
                        CharSpec(self.command_uuid, ("write", "write-without-response")),
                    ),
                ),
            ),
            on_write=self._on_write,
            on_disconnect=self._on_disconnect,
        )

    def _on_write(self, uuid, data):
        reply = self.roller.receive(data)
        if reply and self.peripheral.notifying(self.data_uuid):
            self.peripheral.notify(self.data_uuid, reply)
        if self.roller.streaming:
            self.streaming.set()
        else:
            self.streaming.clear()

    def _on_disconnect(self):
        self.roller.power_cycle()  # the roller restarts when the link drops
        self.streaming.clear()

    def emit(self, n):
        """Send the next ``n`` samples, whole frames packed into notifications of up to 244 bytes."""
        data = self.roller.produce(n)
        if not data:
            return
        frame_len = len(data) // n
        per = max(1, NOTIFY_PAYLOAD // frame_len)
        for i in range(0, len(data), per * frame_len):
            self.peripheral.notify(self.data_uuid, data[i : i + per * frame_len])


class TindeqRoller:
    """A Progressor: 0x65 starts weight notifications, 0x66 stops, 0x64 tares."""

    def __init__(self, name="Progressor_7731", address="C4:DD:57:0A:31:77"):
        self.streaming = False
        self.t_us = 0
        self.peripheral = Peripheral(
            address=address,
            name=name,
            advertised_uuids=(TINDEQ_SERVICE_UUID,),
            services=(
                ServiceSpec(
                    TINDEQ_SERVICE_UUID,
                    (CharSpec(TINDEQ_DATA_UUID, ("notify",)), CharSpec(TINDEQ_CONTROL_UUID, ("write",))),
                ),
            ),
            on_write=self._on_write,
        )

    def _on_write(self, uuid, data):
        if data == b"\x65":
            self.streaming = True
        elif data == b"\x66":
            self.streaming = False

    def emit(self, kg_values):
        """One notification of weight samples 12.5 ms apart (80 Hz): tag 1, length, (f32 kg, u32 us)*."""
        payload = b""
        for kg in kg_values:
            payload += struct.pack("<fI", kg, self.t_us)
            self.t_us += 12500
        self.peripheral.notify(TINDEQ_DATA_UUID, bytes([1, len(payload)]) + payload)


class TextNusRoller:
    """A hobby sketch printing Serial Plotter lines over the Nordic UART Service."""

    def __init__(self, name="RollerSketch", address="D0:0D:00:00:00:01"):
        self.peripheral = Peripheral(
            address=address,
            name=name,
            advertised_uuids=(NUS_SERVICE_UUID,),
            services=(
                ServiceSpec(NUS_SERVICE_UUID, (CharSpec(NUS_TX_UUID, ("notify",)), CharSpec(NUS_RX_UUID, ("write",)))),
            ),
        )

    def emit(self, lines):
        data = b"".join(lines)
        for i in range(0, len(data), 20):  # default MTU: 20-byte notifications, lines split anywhere
            self.peripheral.notify(NUS_TX_UUID, data[i : i + 20])


def gadget(name="Kettle", address="AA:BB:CC:00:11:22"):
    """A BLE device that is no roller."""
    return Peripheral(
        address=address,
        name=name,
        advertised_uuids=("0000fff0-0000-1000-8000-00805f9b34fb",),
        services=(GENERIC_ACCESS,),
    )

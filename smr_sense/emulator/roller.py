"""A virtual roller running the reference firmware's protocol, with no I/O (the link is elsewhere).

It answers the host's commands (get_info, start, stop, tare, set_rate) like the firmware does and,
while started, turns the simulator's samples into sample frames: sequence numbers, a device
microsecond clock since boot (which wraps at 2^32 like ``micros()``), int32 counts, and the gyro and
accelerometer block when the build has an IMU. Faults (garbage, checksum errors, dropped frames)
are applied to the outgoing frames by a seeded :class:`FaultInjector`, so a run is repeatable.

It keeps what it sent (``sent``) so tests can compare the host's decoded samples with the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from smr_sense.core.calibration import forces_n
from smr_sense.core.samples import STREAM_RATE_RANGE_HZ, SampleBlock, StreamInfo
from smr_sense.core.wire import (
    Command,
    DeviceInfo,
    ReferenceDecoder,
    encode_device_info,
    encode_frames,
    encode_reply,
)
from smr_sense.emulator.faults import FaultInjector

FIRMWARE = "1.0.0"
BOOT_US = 1_500_000  # the device has been up 1.5 s when the first sample is taken
# Every virtual roller's id begins so: its simulated person keeps rolling and nobody can put a
# weight on it, so the host knows not to offer (or try) a calibration with known weights.
EMULATED_ID_PREFIX = "emu-"


def is_emulated(device_id: str) -> bool:
    return device_id.startswith(EMULATED_ID_PREFIX)


# Said alike by `record`, the dashboard's banner and its wizard, for an emulator sending raw counts.
NO_WEIGHTS_ADVICE = (
    "an emulated roller cannot take known weights (nobody can put one on it): "
    "run the emulator with --units N to measure holds"
)


MIN_RATE_HZ, MAX_RATE_HZ = STREAM_RATE_RANGE_HZ


class SampleSupply(Protocol):
    """What the roller reads samples from: the simulator, or anything with ``info`` and ``read(n)``."""

    info: StreamInfo

    def read(self, n: int) -> SampleBlock: ...


SampleGenerator = Callable[[float], SampleSupply]


@dataclass
class SentLog:
    """Every sample frame the roller produced, and whether a fault kept it from the host intact."""

    seq: list[np.ndarray] = field(default_factory=list)
    t_us: list[np.ndarray] = field(default_factory=list)
    raw: list[np.ndarray] = field(default_factory=list)
    intact: list[np.ndarray] = field(default_factory=list)

    def add(self, seq: np.ndarray, t_us: np.ndarray, raw: np.ndarray, intact: np.ndarray) -> None:
        self.seq.append(seq)
        self.t_us.append(t_us)
        self.raw.append(raw)
        self.intact.append(intact)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t_us, raw, intact) of everything sent so far."""
        if not self.t_us:
            return np.empty(0, np.int64), np.empty((0, 0), np.float32), np.empty(0, bool)
        return np.concatenate(self.t_us), np.concatenate(self.raw), np.concatenate(self.intact)


class VirtualRoller:
    """``receive(bytes) -> [reply frames]`` for what the host writes; ``produce(n) -> bytes`` for samples.

    ``make_supply(rate_hz)`` builds the sample supply for a rate (called again on ``set_rate``).
    ``autostart`` streams from power-on without waiting for ``start``.
    """

    def __init__(
        self,
        make_supply: SampleGenerator,
        rate_hz: float,
        *,
        faults: FaultInjector | None = None,
        autostart: bool = False,
        device_id: str | None = None,
        device_name: str | None = None,
        boot_us: int = BOOT_US,
        units: str = "count",
    ) -> None:
        if units not in ("count", "N"):
            raise ValueError(f"units must be 'count' or 'N', got {units!r}")
        self.units = units
        self._make_supply = make_supply
        self.rate_hz = rate_hz
        self.supply = make_supply(rate_hz)
        self.faults = faults or FaultInjector()
        self.autostart = autostart
        self.streaming = autostart
        self._device_id = device_id
        self._device_name = device_name
        self._commands = ReferenceDecoder()  # the device side decodes host command frames
        self.seq = 0
        self.boot_us = boot_us
        self.boot_t_s: float | None = None  # simulator time of this clock base's first sample
        self._clock_base_us = boot_us
        self._next_base_us = boot_us
        self._last_t_us: int | None = None
        self.tare_offset: np.ndarray | None = None
        self._last_raw: np.ndarray | None = None
        self.sent = SentLog()
        self.commands_seen: list[Command] = []
        self.boots = 1

    @property
    def info(self) -> DeviceInfo:
        s = self.supply.info
        return DeviceInfo(
            device_id=self._device_id or f"{EMULATED_ID_PREFIX}{s.device_id}",
            device_name=self._device_name or f"Virtual {s.device_name}",
            firmware=FIRMWARE,
            rate_hz=self.rate_hz,
            channels=s.channels if self.units == "count" else tuple(replace(c, unit="N") for c in s.channels),
            has_gyro=s.has_gyro,
            has_accel=s.has_accel,
            roller_radius_m=s.roller_radius_m,
        )

    def power_cycle(self) -> None:
        """The device lost power and booted again: not streaming, clock and sequence from zero."""
        self.streaming = self.autostart
        self.seq = 0
        self.boot_t_s = None
        self._next_base_us = self.boot_us
        self._last_t_us = None
        self.tare_offset = None
        self._commands = ReferenceDecoder()
        self.boots += 1

    # --- host -> device -----------------------------------------------------------------------

    def receive(self, data: bytes) -> bytes:
        """Bytes the host wrote; returns the reply bytes to send back."""
        out = bytearray()
        for item in self._commands.feed(data):
            if isinstance(item, Command):
                self.commands_seen.append(item)
                out += self._answer(item)
        return bytes(out)

    def _answer(self, cmd: Command) -> bytes:
        if cmd.name == "get_info":
            return encode_device_info(self.info) + encode_reply("get_info", cmd.token)
        if cmd.name == "start":
            self.streaming = True
            return encode_reply("start", cmd.token)
        if cmd.name == "stop":
            self.streaming = False
            return encode_reply("stop", cmd.token)
        if cmd.name == "tare":
            if self._last_raw is None:
                return encode_reply("tare", cmd.token, "failed")
            self.tare_offset = self._last_raw.copy() + (self.tare_offset if self.tare_offset is not None else 0)
            return encode_reply("tare", cmd.token)
        if cmd.name == "set_rate":
            rate = cmd.rate_hz or 0.0
            if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
                return encode_reply("set_rate", cmd.token, "bad_argument", self.rate_hz)
            self.rate_hz = rate
            self.supply = self._make_supply(rate)
            # the new supply's time starts again; the device clock does not
            self.boot_t_s = None
            if self._last_t_us is not None:
                self._next_base_us = self._last_t_us + round(1e6 / rate)
            return encode_device_info(self.info) + encode_reply("set_rate", cmd.token, value=rate)
        return b""  # a code this firmware does not know: real firmware would reply unknown_command

    # --- device -> host -----------------------------------------------------------------------

    def produce(self, n: int) -> bytes:
        """The next ``n`` samples as frames (with faults applied); empty when not streaming."""
        if not self.streaming or n <= 0:
            return b""
        block = self.supply.read(n)
        if len(block) == 0:
            return b""
        raw = np.rint(block.raw.astype(np.float64))  # an ADC gives whole counts
        if self.units == "N":
            # firmware that stores its own calibration sends newtons (float32 on the wire)
            raw = forces_n(self.supply.info, raw).astype(np.float32).astype(np.float64)
        self._last_raw = raw[-1].copy()
        if self.tare_offset is not None:
            raw = raw - self.tare_offset
        t_us = self._device_clock_us(block.t_s)
        seq = (self.seq + np.arange(len(block), dtype=np.int64)) % 65536
        value_format = "float32" if self.units == "N" else "int32"
        frames = encode_frames(self.seq, t_us, raw, block.gyro_dps, block.accel_g, value_format=value_format)
        self.seq = (self.seq + len(block)) % 65536
        frame_len = len(frames) // len(block)
        wire, intact = self.faults.apply(frames, frame_len)
        self.sent.add(seq, t_us, raw.astype(np.float32), intact)
        return wire

    def _device_clock_us(self, sim_t_s: np.ndarray) -> np.ndarray:
        """``micros()``: ``boot_us`` at a power-on's first sample, continuing across a rate change."""
        if self.boot_t_s is None:
            self.boot_t_s = float(sim_t_s[0])
            self._clock_base_us = self._next_base_us
        t_us = np.rint((sim_t_s - self.boot_t_s) * 1e6 + self._clock_base_us).astype(np.int64)
        self._last_t_us = int(t_us[-1])
        return t_us % (1 << 32)

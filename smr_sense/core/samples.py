"""The sample model: what every source produces and everything downstream consumes.

Samples travel in columnar blocks (numpy arrays), never one Python object per sample: a 1 kHz,
8-channel roller would otherwise spend its whole budget allocating. A live source yields many small
blocks, a recording loads as one large block; downstream code treats both the same way.

Dtypes are fixed so that a replayed recording is bit-identical to the live run that wrote it:
times are float64 seconds, sensor values are float32 (a 24-bit HX711 count fits float32 exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from collections.abc import Iterator
from typing import Any

import numpy as np

TIME_DTYPE = np.float64
VALUE_DTYPE = np.float32

GYRO_AXES = ("x", "y", "z")
# The rates a roller streams at, the simulator and the emulator too. Below 5 Hz the detector's
# shortest windows (0.15-0.5 s) are less than a sample.
STREAM_RATE_RANGE_HZ = (5.0, 2000.0)
# Samples missing longer than this are a loss of signal (a link that dropped), not a burst lost in
# transport: conditioning, the motion cues and the hold detector all judge the stream afresh after it.
RESUME_GAP_S = 2.0
ACCEL_AXES = ("x", "y", "z")


class SampleError(ValueError):
    """Samples or stream metadata that break the model's rules."""


@dataclass(frozen=True)
class Channel:
    """One pressure channel: a load cell, an FSR, or a derived force value.

    ``unit`` is what the device reports for this channel: ``"count"`` (raw ADC counts that need a
    calibration), ``"N"`` (already newtons) or ``"kg"`` (kilogram-force, as the Tindeq Progressor
    sends). ``position_m`` places the sensor on the plate or around the roller, in metres from the
    plate's centre (x along the rolling direction, y across it); ``None`` when unknown.
    ``sensor`` is ``"load_cell"`` or ``"fsr"`` and chooses the calibration model.
    """

    name: str
    unit: str = "count"
    sensor: str = "load_cell"
    position_m: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "sensor": self.sensor,
            "position_m": list(self.position_m) if self.position_m is not None else None,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Channel:
        pos = obj.get("position_m")
        return cls(
            name=str(obj["name"]),
            unit=str(obj.get("unit", "count")),
            sensor=str(obj.get("sensor", "load_cell")),
            position_m=(float(pos[0]), float(pos[1])) if pos is not None else None,
        )


@dataclass(frozen=True)
class StreamInfo:
    """What a source knows about its device and stream, before the first sample.

    ``device_id`` is the device's identity (BLE address, serial number, ``sim-imu`` ...) and keys its
    calibration profile. ``rate_hz`` is the nominal sample rate; the measured rate may differ.
    ``calibration`` is the calibration in effect, as a JSON object (see ``core.calibration``), or
    ``None`` when the channels are already in N or kg.
    """

    source: str
    device_id: str
    device_name: str
    channels: tuple[Channel, ...]
    rate_hz: float
    has_gyro: bool = False
    has_accel: bool = False
    firmware: str | None = None
    roller_radius_m: float | None = None
    calibration: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.channels:
            raise SampleError("a stream needs at least one pressure channel")
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise SampleError(f"channel names must be unique, got {names}")
        if not (self.rate_hz > 0):
            raise SampleError(f"the sample rate must be positive, got {self.rate_hz}")

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def sends_counts(self) -> bool:
        """Some channel sends raw counts (needs a calibration); else every one is in N or kg."""
        return any(c.unit == "count" for c in self.channels)

    def with_calibration(self, calibration: dict[str, Any] | None) -> StreamInfo:
        return replace(self, calibration=calibration)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "device_id": self.device_id,
            "device_name": self.device_name,
            "channels": [c.to_json() for c in self.channels],
            "rate_hz": self.rate_hz,
            "has_gyro": self.has_gyro,
            "has_accel": self.has_accel,
            "firmware": self.firmware,
            "roller_radius_m": self.roller_radius_m,
            "calibration": self.calibration,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> StreamInfo:
        return cls(
            source=str(obj["source"]),
            device_id=str(obj["device_id"]),
            device_name=str(obj.get("device_name", obj["device_id"])),
            channels=tuple(Channel.from_json(c) for c in obj["channels"]),
            rate_hz=float(obj["rate_hz"]),
            has_gyro=bool(obj.get("has_gyro", False)),
            has_accel=bool(obj.get("has_accel", False)),
            firmware=obj.get("firmware"),
            roller_radius_m=obj.get("roller_radius_m"),
            calibration=obj.get("calibration"),
            extra=dict(obj.get("extra") or {}),
        )


def _values(x: Any) -> np.ndarray:
    """Sensor values as contiguous float32. A value beyond float32's range is no real reading: it
    becomes infinite, quietly, and conditioning treats it as missing (numpy would print a warning)."""
    arr = np.asarray(x)
    if arr.dtype != VALUE_DTYPE and arr.dtype.kind == "f":
        with np.errstate(over="ignore"):  # only here: errstate costs microseconds on the live path
            return np.ascontiguousarray(arr, dtype=VALUE_DTYPE)
    return np.ascontiguousarray(arr, dtype=VALUE_DTYPE)


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """A run of consecutive samples from one stream, columnar.

    - ``t_s``: device time in seconds, shape (n,), float64, strictly increasing within a stream
      (sources unwrap device counters before building a block).
    - ``raw``: per-channel values in each channel's own unit, shape (n, k), float32.
    - ``gyro_dps``: rotation rate in deg/s about x, y, z, shape (n, 3), float32, or None.
    - ``accel_g``: acceleration in g, shape (n, 3), float32, or None.
    - ``host_t_s``: host receive time (Unix seconds), shape (n,), float64, or None when unknown
      (simulated or imported data).
    """

    t_s: np.ndarray
    raw: np.ndarray
    gyro_dps: np.ndarray | None = None
    accel_g: np.ndarray | None = None
    host_t_s: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.t_s.ndim != 1 or self.t_s.dtype != TIME_DTYPE:
            raise SampleError("t_s must be a 1-D float64 array")
        if self.raw.ndim != 2 or self.raw.shape[0] != n or self.raw.dtype != VALUE_DTYPE:
            raise SampleError("raw must be an (n, channels) float32 array")
        for name in ("gyro_dps", "accel_g"):
            arr = getattr(self, name)
            if arr is not None and (arr.shape != (n, 3) or arr.dtype != VALUE_DTYPE):
                raise SampleError(f"{name} must be an (n, 3) float32 array")
        if self.host_t_s is not None and (self.host_t_s.shape != (n,) or self.host_t_s.dtype != TIME_DTYPE):
            raise SampleError("host_t_s must be a 1-D float64 array like t_s")

    @classmethod
    def build(
        cls,
        t_s: Any,
        raw: Any,
        gyro_dps: Any = None,
        accel_g: Any = None,
        host_t_s: Any = None,
    ) -> SampleBlock:
        """Build a block from array-likes, converting to the model's dtypes."""
        t = np.ascontiguousarray(t_s, dtype=TIME_DTYPE).reshape(-1)
        r = _values(raw)
        if r.ndim == 1:
            r = r.reshape(-1, 1)
        g = None if gyro_dps is None else _values(gyro_dps).reshape(-1, 3)
        a = None if accel_g is None else _values(accel_g).reshape(-1, 3)
        h = None if host_t_s is None else np.ascontiguousarray(host_t_s, dtype=TIME_DTYPE).reshape(-1)
        return cls(t, r, g, a, h)

    @classmethod
    def empty(cls, n_channels: int, gyro: bool = False, accel: bool = False, host: bool = False) -> SampleBlock:
        return cls(
            np.empty(0, TIME_DTYPE),
            np.empty((0, n_channels), VALUE_DTYPE),
            np.empty((0, 3), VALUE_DTYPE) if gyro else None,
            np.empty((0, 3), VALUE_DTYPE) if accel else None,
            np.empty(0, TIME_DTYPE) if host else None,
        )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.raw.shape[1])

    def slice(self, start: int, stop: int) -> SampleBlock:
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[start:stop]

        return SampleBlock(
            self.t_s[start:stop], self.raw[start:stop], cut(self.gyro_dps), cut(self.accel_g), cut(self.host_t_s)
        )

    def with_host_time(self, host_t_s: np.ndarray) -> SampleBlock:
        return replace(self, host_t_s=np.ascontiguousarray(host_t_s, dtype=TIME_DTYPE))

    def identical(self, other: SampleBlock, *, host_time: bool = False) -> bool:
        """True when both blocks hold bit-identical samples (host time optional)."""

        def same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
            if a is None or b is None:
                return a is None and b is None
            return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()

        return (
            same(self.t_s, other.t_s)
            and same(self.raw, other.raw)
            and same(self.gyro_dps, other.gyro_dps)
            and same(self.accel_g, other.accel_g)
            and (not host_time or same(self.host_t_s, other.host_t_s))
        )

    @staticmethod
    def concat(blocks: list[SampleBlock], n_channels: int | None = None) -> SampleBlock:
        """Join blocks end to end. Optional columns survive only if every block has them."""
        if not blocks:
            if n_channels is None:
                raise SampleError("cannot concatenate no blocks without a channel count")
            return SampleBlock.empty(n_channels)
        if len(blocks) == 1:
            return blocks[0]

        def cat(name: str) -> np.ndarray | None:
            parts = [getattr(b, name) for b in blocks]
            if any(p is None for p in parts):
                return None
            return np.concatenate(parts)

        return SampleBlock(
            np.concatenate([b.t_s for b in blocks]),
            np.concatenate([b.raw for b in blocks]),
            cat("gyro_dps"),
            cat("accel_g"),
            cat("host_t_s"),
        )


@dataclass(frozen=True)
class Marker:
    """A point in stream time worth keeping in a recording: a link gap, a routine step, a note.

    ``kind`` is a short machine name (``gap``, ``disconnected``, ``reconnected``, ``muscle_group``,
    ``note``, ``calibration`` ...); ``data`` holds JSON-able details.
    """

    t_s: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t_s": self.t_s, "kind": self.kind, "data": self.data}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Marker:
        return cls(t_s=float(obj["t_s"]), kind=str(obj["kind"]), data=dict(obj.get("data") or {}))


def interleave(block: SampleBlock, markers: list[Marker]) -> Iterator[SampleBlock | Marker]:
    """``block`` cut at each marker (in time order), the marker after the samples at or before its
    time: the order a live session saw them in (a marker is stamped with the last sample's time),
    and the order ``analyze`` feeds them in."""
    start = 0
    for marker in markers:
        cut = int(np.searchsorted(block.t_s, marker.t_s, side="right"))
        if cut > start:
            yield block.slice(start, cut)
        yield marker
        start = max(start, cut)
    if start < len(block):
        yield block.slice(start, len(block))

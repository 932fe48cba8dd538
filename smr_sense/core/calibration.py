"""Calibration in effect: raw channel values -> force in newtons.

The JSON form travels in every recording header and in device profiles::

    {"version": 1, "device_id": "sim-imu-7", "channels": [
        {"name": "load", "model": "linear", "offset_counts": 81234.0, "n_per_count": 0.00238},
        {"name": "fsr0", "model": "power", "offset_counts": 0.0, "k": 3.1, "exponent": 1.2}
    ]}

Models: ``linear`` F = (raw - offset) * n_per_count (load cells); ``power`` F = k * G^exponent with
G = raw - offset clipped at zero (FSR conductance); channels whose unit is already ``N`` or ``kg``
need no entry. Fitting (tare, span) lives in ``core.calibrate``; this module only applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from smr_sense.core.samples import Channel, StreamInfo
from smr_sense.errors import SmrError

G_N_PER_KG = 9.80665
CALIBRATION_VERSION = 1


class CalibrationError(SmrError):
    """A calibration that cannot be used (wrong device, missing channels, bad numbers)."""


class UnnamedChannelError(CalibrationError):
    """A calibration with no entry under a raw channel's name (it names its channels otherwise)."""

    def __init__(self, message: str, channel: str, calibrated: tuple[str, ...]) -> None:
        super().__init__(message)
        self.channel, self.calibrated = channel, calibrated


# The numbers each model converts with; a saved calibration always has them.
_MODEL_KEYS = {"linear": ("offset_counts", "n_per_count"), "power": ("offset_counts", "k", "exponent"), "identity": ()}


@dataclass(frozen=True)
class ChannelCalibration:
    name: str
    model: str = "linear"  # linear | power | identity
    offset_counts: float = 0.0
    n_per_count: float = 1.0
    k: float = 1.0
    exponent: float = 1.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "model": self.model, "offset_counts": self.offset_counts}
        if self.model == "linear":
            out["n_per_count"] = self.n_per_count
        elif self.model == "power":
            out["k"] = self.k
            out["exponent"] = self.exponent
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ChannelCalibration:
        if not isinstance(obj, dict):
            raise CalibrationError("each channel calibration must be a JSON object with a name")
        model = str(obj.get("model", "linear"))
        if model not in ("linear", "power", "identity"):
            raise CalibrationError(f"calibration model '{model}' for channel {obj.get('name')!r} is not known")
        try:
            cal = cls(
                name=str(obj["name"]),
                model=model,
                offset_counts=float(obj.get("offset_counts", 0.0)),
                n_per_count=float(obj.get("n_per_count", 1.0)),
                k=float(obj.get("k", 1.0)),
                exponent=float(obj.get("exponent", 1.0)),
            )
        except (KeyError, TypeError, ValueError):
            raise CalibrationError("a channel calibration is missing its name or has a non-numeric value") from None
        # NaN or a zero gain would read every sample as nothing (or as nonsense), silently.
        numbers = (cal.offset_counts, cal.n_per_count, cal.k, cal.exponent)
        if not all(np.isfinite(numbers)) or cal.n_per_count == 0 or cal.k <= 0 or cal.exponent <= 0:
            raise CalibrationError(
                f"the calibration of channel '{cal.name}' has a value that converts no force "
                "(not a finite number, a zero gain, or a power law without a positive k and exponent)"
            )
        # A channel entry without its model's numbers would convert with the defaults (no offset,
        # 1 N per count): any JSON with a 'channels' list of names would pass for a calibration.
        missing = [key for key in _MODEL_KEYS[model] if key not in obj]
        if missing:
            raise CalibrationError(
                f"the calibration of channel '{cal.name}' gives no {' or '.join(missing)} "
                f"(a {model} calibration needs {' and '.join(_MODEL_KEYS[model])})"
            )
        return cal

    def apply(self, raw: np.ndarray) -> np.ndarray:
        x = raw.astype(np.float64) - self.offset_counts
        if self.model == "linear":
            return x * self.n_per_count
        if self.model == "power":
            return self.k * np.power(np.clip(x, 0.0, None), self.exponent)
        return x


@dataclass(frozen=True)
class Calibration:
    """Per-channel conversion to newtons for one device."""

    device_id: str
    channels: tuple[ChannelCalibration, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CALIBRATION_VERSION,
            "device_id": self.device_id,
            "channels": [c.to_json() for c in self.channels],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Calibration:
        if not isinstance(obj, dict) or not isinstance(obj.get("channels"), list):
            raise CalibrationError("the calibration is not a JSON object with a 'channels' list")
        if _version(obj) > CALIBRATION_VERSION:
            raise CalibrationError(
                f"the calibration is version {obj.get('version')}; this smr-sense reads version {CALIBRATION_VERSION}"
            )
        return cls(
            device_id=str(obj.get("device_id", "")),
            channels=tuple(ChannelCalibration.from_json(c) for c in obj["channels"]),
        )

    def for_channel(self, name: str) -> ChannelCalibration | None:
        for c in self.channels:
            if c.name == name:
                return c
        return None


def _version(obj: dict[str, Any]) -> int:
    try:
        return int(obj.get("version", 1))
    except (TypeError, ValueError):
        raise CalibrationError(f"the calibration's version {obj.get('version')!r} is not a number") from None


def channel_to_newtons(channel: Channel, cal: ChannelCalibration | None, raw: np.ndarray) -> np.ndarray:
    if channel.unit == "N":
        return raw.astype(np.float64)
    if channel.unit == "kg":
        return raw.astype(np.float64) * G_N_PER_KG
    if cal is None:
        raise CalibrationError(
            f"channel '{channel.name}' reports raw counts and has no calibration; run smr-sense calibrate first"
        )
    return cal.apply(raw)


def is_calibrated(info: StreamInfo) -> bool:
    """True when every channel can be converted to newtons."""
    cal = Calibration.from_json(info.calibration) if info.calibration else None
    return all(
        c.unit in ("N", "kg") or (cal is not None and cal.for_channel(c.name) is not None) for c in info.channels
    )


def forces_n(info: StreamInfo, raw: np.ndarray) -> np.ndarray:
    """Per-channel force in newtons, shape (n, k) float64, using the calibration in ``info``."""
    out = np.empty(raw.shape, dtype=np.float64)
    for i, (ch, mine) in enumerate(zip(info.channels, channel_calibrations(info))):
        out[:, i] = channel_to_newtons(ch, mine, raw[:, i])
    return out


def channel_calibrations(info: StreamInfo) -> list[ChannelCalibration | None]:
    """Each channel's calibration from ``info`` (None for channels in N or kg), or one sentence
    saying why a raw channel has none."""
    cal = Calibration.from_json(info.calibration) if info.calibration else None
    out = []
    for ch in info.channels:
        mine = cal.for_channel(ch.name) if cal else None
        if mine is None and cal is not None and ch.unit not in ("N", "kg"):
            # A calibration is matched by channel name: "no calibration" would send the user to
            # calibrate again, when the one they have names its channels otherwise.
            calibrated = tuple(c.name for c in cal.channels)
            names = ", ".join(f"'{name}'" for name in calibrated) or "none"
            raise UnnamedChannelError(
                f"the calibration has no channel '{ch.name}' (it calibrates {names}); "
                "a raw channel is calibrated under its own name",
                ch.name, calibrated,
            )
        channel_to_newtons(ch, mine, np.zeros(0, np.float32))  # uncalibrated: its own sentence
        out.append(mine)
    return out


FORCE_UNITS = ("N", "kg", "%BW")


def force_in(force_n, unit: str, body_mass_kg: float | None = None):
    """Force (a number or an array, in newtons) in ``unit``: N, kg (kilogram-force) or %BW (per cent
    of the user's body weight, which needs ``body_mass_kg``)."""
    if unit == "N":
        return force_n
    if unit == "kg":
        return force_n / G_N_PER_KG
    if unit == "%BW":
        if not body_mass_kg or body_mass_kg <= 0:
            raise CalibrationError("showing force in % of body weight needs the user's body mass (a setting)")
        return 100.0 * force_n / (body_mass_kg * G_N_PER_KG)
    raise CalibrationError(f"unknown force unit '{unit}': use {', '.join(FORCE_UNITS)}")

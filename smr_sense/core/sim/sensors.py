"""The three sensor builds: what the roller's electronics make of the person's force and motion.

- ``force``: one load cell (HX711 counts) under the roller: total force only.
- ``channels``: 2 or 4 load cells under the corners of a plate; each carries a share of the force
  set by where the roller stands (lever rule), so the centre of pressure moves with the roller.
- ``imu``: one load cell plus an IMU inside the roller: the gyro about the roller's axis reads
  omega = v / (2 r); the accelerometer sees gravity turn with the roller.

Sensor imperfections are drawn per session: gain and offset per cell, offset drift with time
(several N per hour, as users report), noise, 24-bit saturation, gyro bias and quantisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.core.calibration import Calibration, ChannelCalibration
from smr_sense.core.samples import Channel
from smr_sense.core.sim.body import Motion

HX711_MAX = 2**23 - 1
GYRO_LSB_DPS = 0.00875  # LSM9DS1 at +-245 dps
PLATE_HALF_LENGTH_M = 0.25
PLATE_HALF_WIDTH_M = 0.15


@dataclass(frozen=True)
class LoadCell:
    name: str
    position_m: tuple[float, float]
    offset_counts: float
    counts_per_n: float
    drift_n_per_h: float
    noise_n: float


@dataclass(frozen=True)
class Gyro:
    bias_dps: tuple[float, float, float]
    noise_dps: float


class SensorBuild:
    """Turns :class:`Motion` into raw channel values (and gyro / accel) for one simulated device."""

    def __init__(self, build: str, rng: np.random.Generator, n_cells: int, radius_m: float) -> None:
        self.build = build
        self.radius_m = radius_m
        if build == "channels":
            if n_cells == 4:
                spots = [("front_left", 1, 1), ("front_right", 1, -1), ("back_left", -1, 1), ("back_right", -1, -1)]
            else:
                spots = [("front", 1, 0), ("back", -1, 0)]
            positions = [(name, (sx * PLATE_HALF_LENGTH_M, sy * PLATE_HALF_WIDTH_M)) for name, sx, sy in spots]
        else:
            positions = [("load", (0.0, 0.0))]
        self.cells = tuple(
            LoadCell(
                name=name,
                position_m=pos,
                offset_counts=float(rng.uniform(-60_000, 60_000)),
                counts_per_n=float(rng.uniform(380.0, 460.0)),
                drift_n_per_h=float(rng.uniform(-8.0, 8.0)),
                noise_n=float(rng.uniform(0.08, 0.2)),
            )
            for name, pos in positions
        )
        self.gyro = (
            Gyro(bias_dps=tuple(float(b) for b in rng.uniform(-1.5, 1.5, 3)), noise_dps=float(rng.uniform(0.05, 0.12)))
            if build == "imu"
            else None
        )
        self._angle_rad = float(rng.uniform(0, 2 * np.pi))

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(Channel(c.name, "count", "load_cell", c.position_m) for c in self.cells)

    def factory_calibration(self, device_id: str) -> Calibration:
        """The calibration a maker would measure at build time: exact at power-on, then drift sets in."""
        return Calibration(
            device_id=device_id,
            channels=tuple(
                ChannelCalibration(c.name, "linear", offset_counts=c.offset_counts, n_per_count=1.0 / c.counts_per_n)
                for c in self.cells
            ),
        )

    def shares(self, motion: Motion) -> np.ndarray:
        """Share of the total force on each cell, shape (n, cells)."""
        n = motion.x_m.size
        if len(self.cells) == 1:
            return np.ones((n, 1))
        # The roller's axle travels half as far as the body does over it.
        along = np.clip(0.5 + (motion.x_m / 2.0) / (2 * PLATE_HALF_LENGTH_M), 0.0, 1.0)
        across = np.clip(0.5 + motion.lateral_m / (2 * PLATE_HALF_WIDTH_M), 0.0, 1.0)
        out = np.empty((n, len(self.cells)))
        for i, c in enumerate(self.cells):
            sx, sy = np.sign(c.position_m[0]), np.sign(c.position_m[1])
            w = along if sx > 0 else 1.0 - along
            if sy != 0:
                w = w * (across if sy > 0 else 1.0 - across)
            out[:, i] = w
        return out

    def read(self, t_abs_s: np.ndarray, motion: Motion, rng: np.random.Generator):
        """Raw counts (n, cells), gyro_dps (n, 3) or None, accel_g (n, 3) or None."""
        n = t_abs_s.size
        share = self.shares(motion)
        raw = np.empty((n, len(self.cells)))
        for i, c in enumerate(self.cells):
            force = motion.force_n * share[:, i] + rng.normal(0.0, c.noise_n, n)
            drift = c.drift_n_per_h * t_abs_s / 3600.0
            raw[:, i] = np.round(c.offset_counts + c.counts_per_n * (force + drift))
        raw = np.clip(raw, -HX711_MAX - 1, HX711_MAX)
        if self.gyro is None:
            return raw, None, None
        omega_rad_s = motion.v_mps / (2.0 * self.radius_m)
        gyro = np.empty((n, 3))
        g = self.gyro
        # The roller's axis is y (across the body); x and z see only wobble and noise.
        gyro[:, 0] = g.bias_dps[0] + rng.normal(0.0, g.noise_dps, n)
        gyro[:, 1] = g.bias_dps[1] - np.degrees(omega_rad_s) + rng.normal(0.0, g.noise_dps, n)
        gyro[:, 2] = g.bias_dps[2] + rng.normal(0.0, g.noise_dps, n)
        gyro = np.round(gyro / GYRO_LSB_DPS) * GYRO_LSB_DPS
        if n > 1:
            dt = np.diff(t_abs_s, prepend=t_abs_s[0] - (t_abs_s[1] - t_abs_s[0]))
        else:
            dt = np.zeros(n)
        angle = self._angle_rad + np.cumsum(omega_rad_s * dt)
        if n:
            self._angle_rad = float(angle[-1])
        accel = np.stack(
            [np.sin(angle), rng.normal(0.0, 0.01, n), np.cos(angle)], axis=1
        ) + rng.normal(0.0, 0.01, (n, 3))
        return raw, gyro, accel

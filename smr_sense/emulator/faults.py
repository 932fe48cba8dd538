"""Faults a real serial link shows, injected on purpose: garbage, checksum errors, lost frames, unplugging.

``--faults garbage,checksum,drop,vanish`` turns each on at a default rate; ``drop=0.05`` sets one.
Rates are per frame. The injector is seeded, so a run with the same seed damages the same frames.
``vanish`` is not applied here but by the link (the device disappears and comes back).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smr_sense.errors import UsageError

FAULT_KINDS = ("garbage", "checksum", "drop", "vanish")
DEFAULT_RATE = 0.01
DEFAULT_VANISH_EVERY_S = 10.0
DEFAULT_VANISH_FOR_S = 2.0
HEADER_LEN = 6  # sync (2), version, type, length (2): a flipped byte goes after these, into what the CRC covers
CRC_LEN = 2


@dataclass(frozen=True)
class FaultPlan:
    garbage: float = 0.0  # share of frames preceded by 1-40 random bytes
    checksum: float = 0.0  # share of frames with one byte changed
    drop: float = 0.0  # share of frames never sent
    vanish_every_s: float | None = None  # the device disappears this often ...
    vanish_for_s: float = DEFAULT_VANISH_FOR_S  # ... for this long

    @property
    def any_frame_faults(self) -> bool:
        return self.garbage > 0 or self.checksum > 0 or self.drop > 0

    @classmethod
    def parse(cls, text: str | None) -> FaultPlan:
        """``"garbage,checksum,drop=0.05,vanish=10"``: kinds, each optionally ``=rate`` (vanish: ``=every_s``)."""
        if not text:
            return cls()
        values: dict[str, float] = {}
        for part in text.split(","):
            name, _, value = part.strip().partition("=")
            if name not in FAULT_KINDS:
                what = f"unknown fault '{name}'" if name else f"an empty fault in '{text}'"  # "garbage,"
                raise UsageError(f"{what}: use {', '.join(FAULT_KINDS)} (comma separated)")
            default = DEFAULT_VANISH_EVERY_S if name == "vanish" else DEFAULT_RATE
            try:
                number = float(value) if value else default
            except ValueError:
                raise UsageError(f"fault {name}={value!r} needs a number") from None
            if name == "vanish" and not number > 0:
                raise UsageError("vanish=SECONDS needs a positive number of seconds")
            if name != "vanish" and not 0.0 <= number < 1.0:
                raise UsageError(f"fault rate {name}={value} must be between 0 and 1")
            values[name] = number
        return cls(
            garbage=values.get("garbage", 0.0),
            checksum=values.get("checksum", 0.0),
            drop=values.get("drop", 0.0),
            vanish_every_s=values.get("vanish"),
        )


class FaultInjector:
    """Applies a plan's frame faults; counts what it did in ``counts``."""

    def __init__(self, plan: FaultPlan | None = None, seed: int = 0) -> None:
        self.plan = plan or FaultPlan()
        self._rng = np.random.default_rng(seed)
        self.counts = {"garbage": 0, "checksum": 0, "drop": 0}

    def apply(self, frames: bytes, frame_len: int) -> tuple[bytes, np.ndarray]:
        """Damage back-to-back frames of ``frame_len`` bytes; returns (bytes to send, intact mask)."""
        n = len(frames) // frame_len
        intact = np.ones(n, bool)
        plan = self.plan
        if not plan.any_frame_faults or n == 0:
            return frames, intact
        rng = self._rng
        drop = rng.random(n) < plan.drop
        corrupt = (rng.random(n) < plan.checksum) & ~drop
        garbage = rng.random(n) < plan.garbage
        if not (drop.any() or corrupt.any() or garbage.any()):
            return frames, intact
        out = bytearray()
        for i in range(n):
            if garbage[i]:
                out += rng.integers(0, 256, int(rng.integers(1, 41)), dtype=np.uint8).tobytes()
                self.counts["garbage"] += 1
            if drop[i]:
                intact[i] = False
                self.counts["drop"] += 1
                continue
            frame = bytearray(frames[i * frame_len : (i + 1) * frame_len])
            if corrupt[i]:
                pos = int(rng.integers(HEADER_LEN, frame_len - CRC_LEN))
                frame[pos] ^= int(rng.integers(1, 256))
                intact[i] = False
                self.counts["checksum"] += 1
            out += frame
        return bytes(out), intact

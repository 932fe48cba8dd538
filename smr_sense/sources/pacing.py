"""Wall-clock pacing for sources whose samples exist ahead of time (simulator, replay).

This is the only place stream time meets the wall clock: it decides *when* to hand out samples,
never what they are. ``speed`` 1.0 is real time; ``inf`` hands out as fast as the consumer takes.
"""

from __future__ import annotations

import asyncio
import time

TICK_S = 0.02  # hand out about 50 blocks a second: smooth for the dashboard, cheap for the loop
MAX_BLOCK_AS_FAST = 8192
MAX_SPEED = 1000.0  # times real time; faster than this is ``speed=max`` (as fast as possible)
MIN_SPEED = 0.25  # slower looks frozen: 0.01 is a typo for 0.1 or 10, not a way to watch a session


def speed_out_of_range(speed: float) -> str | None:
    """Why a finite ``speed`` above zero cannot be played, as the end of a sentence ("below 0.25
    times real time"), or None. Faster than MAX_SPEED plays in huge blocks: that is ``speed=max``."""
    if speed < MIN_SPEED:
        return f"below {MIN_SPEED:g} times real time"
    if speed > MAX_SPEED:
        return f"above {MAX_SPEED:g} times real time"
    return None


class Pacer:
    """Maps wall time to a target stream time, and survives pause, seek and speed changes."""

    def __init__(self, start_stream_s: float, speed: float = 1.0) -> None:
        self.speed = speed
        self.paused = False
        self._anchor_wall = time.monotonic()
        self._anchor_stream = start_stream_s

    def target_s(self) -> float:
        if self.paused:
            return self._anchor_stream
        return self._anchor_stream + (time.monotonic() - self._anchor_wall) * self.speed

    def rebase(self, stream_s: float) -> None:
        self._anchor_wall = time.monotonic()
        self._anchor_stream = stream_s

    def set_speed(self, speed: float, now_stream_s: float) -> None:
        self.rebase(now_stream_s)
        self.speed = speed

    def set_paused(self, paused: bool, now_stream_s: float) -> None:
        self.rebase(now_stream_s)
        self.paused = paused

    @property
    def as_fast_as_possible(self) -> bool:
        return self.speed == float("inf")

    async def wait(self) -> None:
        await asyncio.sleep(0 if self.as_fast_as_possible and not self.paused else TICK_S)

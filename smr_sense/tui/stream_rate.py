"""Samples per second as the header shows it: over the last 2 s of stream (device) time.

Stream time, not the wall clock, so a replay shows the rate the roller sent at, whatever the
replay's speed, and the figure is the same on every run.
"""

from __future__ import annotations

from collections import deque

WINDOW_S = 2.0


class StreamRate:
    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._blocks: deque[tuple[float, float, int]] = deque()  # (first t, last t, n) per block

    def add(self, t_start_s: float, t_end_s: float, n: int) -> None:
        blocks = self._blocks
        blocks.append((t_start_s, t_end_s, n))
        while len(blocks) > 1 and t_end_s - blocks[0][1] > self.window_s:
            blocks.popleft()

    def clear(self) -> None:
        """Stream time jumped (a seek): the blocks before it say nothing about the rate after."""
        self._blocks.clear()

    @property
    def hz(self) -> float | None:
        blocks = self._blocks
        if not blocks:
            return None
        span = blocks[-1][1] - blocks[0][0]
        intervals = sum(n for _, _, n in blocks) - 1  # n samples span n - 1 intervals
        return intervals / span if span > 0 and intervals > 0 else None

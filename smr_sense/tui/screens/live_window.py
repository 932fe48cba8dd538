"""The calibration wizard's view of the roller: the last few seconds of raw samples."""

from __future__ import annotations

import numpy as np

from smr_sense.core.samples import Channel, SampleBlock

LIVE_WINDOW_S = 3.0


class LiveWindow:
    """Raw blocks covering at least the last ``LIVE_WINDOW_S``; started afresh when time goes back
    (a replay seek), so a reading never mixes two stretches of a recording."""

    def __init__(self, n_channels: int) -> None:
        self.n_channels = n_channels
        self._blocks: list[SampleBlock] = []

    def add(self, block: SampleBlock) -> bool:
        """Keep ``block``; True when it starts the window afresh (time went back)."""
        restarted = bool(self._blocks) and block.t_s[0] <= self._blocks[-1].t_s[-1]
        if restarted:
            self._blocks.clear()
        self._blocks.append(block)
        while len(self._blocks) > 1 and block.t_s[-1] - self._blocks[1].t_s[0] > LIVE_WINDOW_S:
            self._blocks.pop(0)
        return restarted

    def recent(self, seconds: float) -> SampleBlock | None:
        """The last ``seconds`` of samples (fewer at the start), or None before any."""
        if not self._blocks:
            return None
        block = SampleBlock.concat(self._blocks, self.n_channels)
        start = int(np.searchsorted(block.t_s, block.t_s[-1] - seconds))
        return block.slice(start, len(block))


def readings(block: SampleBlock, channels: tuple[Channel, ...]) -> str:
    """Each channel's median and spread: "load: 81234 counts (noise 3.1)", "force_n: 0.21 N (noise 0.05)"."""
    raw = block.raw.astype(np.float64)
    parts = []
    for i, c in enumerate(channels):
        median, noise = float(np.median(raw[:, i])), float(np.std(raw[:, i]))
        if c.unit == "count":
            parts.append(f"{c.name}: {median:.0f} counts (noise {noise:.1f})")
        else:  # a roller in N or kg: hundredths matter (0.05 N of noise read "noise 0.1")
            parts.append(f"{c.name}: {median:.2f} {c.unit} (noise {noise:.2f})")
    return "   ".join(parts)

"""The one async interface every source offers: simulated, replay, serial and BLE alike.

A source is opened, tells what it streams (:class:`StreamInfo`), then yields items in stream order:
:class:`SampleBlock` for samples and :class:`Marker` for things worth keeping (a link gap, a
reconnect, a seek in a replay). Consumers never ask which kind of source they hold; optional abilities
(playback control, device commands) are objects a source may offer, not type checks.

    async with open_source("sim:?seed=7&build=imu") as source:
        print(source.info.channels)
        async for item in source:
            ...
"""

from __future__ import annotations

import abc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.core.words import counted
from smr_sense.errors import SmrError

SourceItem = SampleBlock | Marker


class SourceError(SmrError):
    """A source could not be opened or lost its device for good. The message is one sentence."""


# Below this share of samples arriving whole, a session's summary says what the link lost: the
# figures rest on fewer samples than were sent (the record command always says it).
LINK_WARN_PCT = 99.0
# No samples come in these link states: the last force and state are old news.
LINK_DOWN = ("connecting", "reconnecting", "gap")


@dataclass
class LinkStats:
    """Live link statistics, updated by the source as samples arrive."""

    samples: int = 0
    lost: int = 0
    corrupt: int = 0
    reconnects: int = 0
    connected: bool = False
    # connecting | streaming | reconnecting | ended, and for a replay: gap (a stretch of the file
    # with no samples, where the live link was down)
    state: str = "connecting"
    _window: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @property
    def whole_pct(self) -> float | None:
        """The share of the samples sent that arrived whole; None before anything arrived. ``lost``
        counts every sample that did not (missing from the frame sequence, or a damaged text line):
        a corrupt frame is one reason for a lost sample, not a second loss, and garbage between
        frames carries none (so a link sending only damage has 0 % whole)."""
        total = self.samples + self.lost
        if total:
            return 100.0 * self.samples / total
        return 0.0 if self.corrupt else None

    def losses(self) -> str | None:
        """What the link lost on the way, as the end of a sentence ("12 samples lost in transit
        (3 corrupt frames dropped): 98.8 % arrived whole"); None when nothing was."""
        if not self.lost and not self.corrupt:
            return None
        corrupt = f" ({counted(self.corrupt, 'corrupt frame')} dropped)" if self.corrupt else ""
        return f"{counted(self.lost, 'sample')} lost in transit{corrupt}: {self.whole_pct:.1f} % arrived whole"

    def summary_warning(self) -> str | None:
        """For a session's summary: what the link lost, when it lost more than a little."""
        losses = self.losses()
        pct = self.whole_pct
        return f"the roller's link lost data: {losses}" if losses and pct is not None and pct < LINK_WARN_PCT else None

    def count(self, n: int, now_s: float | None = None) -> None:
        """Count ``n`` samples received now (host wall clock: this is link health, not stream time)."""
        self.samples += n
        now = time.monotonic() if now_s is None else now_s
        self._window.append((now, n))
        while self._window and now - self._window[0][0] > 2.0:
            self._window.pop(0)

    def rate_hz(self, now_s: float | None = None) -> float:
        """Samples per second received over the last two seconds."""
        now = time.monotonic() if now_s is None else now_s
        recent = [(t, n) for t, n in self._window if now - t <= 2.0]
        if len(recent) < 2:
            return 0.0
        span = now - recent[0][0]
        return sum(n for _, n in recent[1:]) / span if span > 0 else 0.0


class Playback(abc.ABC):
    """Playback control, offered by sources whose stream time is not tied to a device (replay)."""

    @property
    @abc.abstractmethod
    def position_s(self) -> float: ...

    @property
    @abc.abstractmethod
    def start_s(self) -> float:
        """Stream time of the first sample (positions on the bar count from here)."""

    @property
    @abc.abstractmethod
    def duration_s(self) -> float | None: ...

    @property
    @abc.abstractmethod
    def speed(self) -> float: ...

    @abc.abstractmethod
    def set_speed(self, speed: float) -> None:
        """Real time is 1.0; ``float('inf')`` means as fast as possible."""

    @property
    @abc.abstractmethod
    def paused(self) -> bool: ...

    @abc.abstractmethod
    def set_paused(self, paused: bool) -> None: ...

    @abc.abstractmethod
    def seek(self, t_s: float) -> None:
        """Continue from stream time ``t_s``. The source then yields ``Marker(t_s, "seek", ...)``."""


class Source(abc.ABC):
    """Base class of all sources. Subclasses implement ``_open``, ``_items`` and ``_close``."""

    #: the ``--source`` string this source was made from
    spec: str

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.stats = LinkStats()
        self._info: StreamInfo | None = None

    @property
    def info(self) -> StreamInfo:
        if self._info is None:
            raise SourceError(f"source {self.spec} is not open yet")
        return self._info

    @property
    def playback(self) -> Playback | None:
        """Playback control when the source has it (replay), else None."""
        return None

    async def open(self) -> StreamInfo:
        self._info = await self._open()
        return self._info

    async def close(self) -> None:
        await self._close()
        self.stats.state = "ended"
        self.stats.connected = False

    async def command(self, name: str, **args: Any) -> None:
        """Send a device command (``tare``, ``start``, ``stop``, ``set_rate``)."""
        raise SourceError(f"source {self.spec} does not accept the command '{name}'")

    def __aiter__(self) -> AsyncIterator[SourceItem]:
        return self._items()

    async def __aenter__(self) -> Source:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abc.abstractmethod
    async def _open(self) -> StreamInfo: ...

    @abc.abstractmethod
    def _items(self) -> AsyncIterator[SourceItem]: ...

    async def _close(self) -> None:
        return None

"""Every message the dashboard passes around, in one place.

The acquisition worker posts these to the app. Samples themselves never travel as messages: the
worker feeds them to the session and marks the view dirty; a fixed-rate refresh (15 per second at
most) draws whatever is newest and polls the link state, so nothing high-rate queues up here. Only
rare things travel as messages (events, markers, faults), and none of them may be coalesced away:
every hold, cap and disconnect must reach the log and the alarm.
"""

from __future__ import annotations

from textual.message import Message

from smr_sense.core.events import Event
from smr_sense.core.samples import Marker, StreamInfo


class StreamOpened(Message):
    """The source is open and the session has started."""

    def __init__(self, info: StreamInfo) -> None:
        super().__init__()
        self.info = info


class SessionEvents(Message):
    """Events the pipeline announced, in stream order. Never coalesced: each one matters."""

    def __init__(self, events: tuple[Event, ...]) -> None:
        super().__init__()
        self.events = events


class StreamMarker(Message):
    """A marker the source yielded (disconnected, reconnected, seek, gap ...)."""

    def __init__(self, marker: Marker) -> None:
        super().__init__()
        self.marker = marker


class StreamEnded(Message):
    """The source has no more samples (end of a replay, or a device gone for good)."""


class SourceFault(Message):
    """Something went wrong; ``text`` is one sentence for the banner."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SessionSaved(Message):
    """The recording and the summary are on disk (or could not be written: ``error``)."""

    def __init__(self, paths: tuple[str, ...], error: str | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.error = error

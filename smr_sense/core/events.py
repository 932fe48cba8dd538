"""Typed session events, stamped in stream time (the device's ``t_s``), never the wall clock.

The live dashboard, the headless recorder and the offline analyser all receive these same events
from the same pipeline, so a replay announces every hold, warning and cap exactly where the live
run did.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import cache
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of all events. ``t_s`` is when the event is announced, in stream time."""

    kind: ClassVar[str] = "event"
    t_s: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}

    def saved_json(self) -> dict[str, Any]:
        """As ``analyze --json`` writes it: times and forces to 0.1 ms / 0.1 mN, past any float noise."""
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.to_json().items()}

    def text(self) -> str:
        """What happened, in words (subclasses say it better)."""
        details = ", ".join(f"{f.name}={_fmt(getattr(self, f.name))}" for f in fields(self) if f.name != "t_s")
        return details

    def describe(self) -> str:
        """One line for ``record``'s output: time, kind, words. Said from the saved values, as
        ``analyze --events`` says them: a hold ending at 113.345 s read "113.35" here and "113.34" there."""
        saved = self.saved_json()
        return log_line(saved["t_s"], self.kind, text_of(saved))


# The longest kind said in a line ("calibration_started", "hold_start_revised"), so the words line up.
LOG_KIND_WIDTH = 19


def log_line(t_s: float, kind: str, text: str) -> str:
    """``record``'s line for an event, a marker or a refusal: time, kind, words, in columns."""
    return f"{t_s:9.2f} s  {kind:<{LOG_KIND_WIDTH}} {text}".rstrip()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@dataclass(frozen=True)
class ContactStarted(Event):
    """The user's weight came onto the roller."""

    kind: ClassVar[str] = "contact_started"

    def text(self) -> str:
        return "weight on the roller"


@dataclass(frozen=True)
class ContactLost(Event):
    """The user's weight left the roller."""

    kind: ClassVar[str] = "contact_lost"

    def text(self) -> str:
        return "off the roller"


@dataclass(frozen=True)
class RollingStarted(Event):
    """Rolling began (after contact, or after a hold ended)."""

    kind: ClassVar[str] = "rolling_started"

    def text(self) -> str:
        return "rolling"


@dataclass(frozen=True)
class HoldStarted(Event):
    """A hold was confirmed at ``t_s``; it really began at the back-dated ``start_s``."""

    kind: ClassVar[str] = "hold_started"
    start_s: float

    def text(self) -> str:
        return f"hold: stopped on a spot at {self.start_s:.2f} s"


@dataclass(frozen=True)
class HoldStartRevised(Event):
    """Force alone: a few seconds into the hold, its own sway showed where it really began
    (``start_s``; it was dated ``was_s``). The timer, warning and cap now run from ``start_s``."""

    kind: ClassVar[str] = "hold_start_revised"
    start_s: float
    was_s: float

    def text(self) -> str:
        return f"hold: began at {self.start_s:.2f} s (not {self.was_s:.2f} s)"


@dataclass(frozen=True)
class HoldContinued(Event):
    """Force alone: the hold that ended at ``ended_s`` goes on. What looked like the next stroke was a
    re-adjustment (the roller was still again within half a second), so the hold keeps its start
    ``start_s``, its timer, warning and cap; the hold announced as ended is not counted on its own."""

    kind: ClassVar[str] = "hold_continued"
    start_s: float
    ended_s: float

    def text(self) -> str:
        return f"hold: goes on from {self.start_s:.2f} s (a re-adjustment at {self.ended_s:.2f} s)"


@dataclass(frozen=True)
class HoldWarning(Event):
    """The hold is ``remaining_s`` from its cap."""

    kind: ClassVar[str] = "hold_warning"
    start_s: float
    remaining_s: float

    def left(self) -> str:
        """"5 s", or "2.5 s" for the half-way warning of a 5 s cap: rounded to whole seconds, 2.5
        read "2 s" (and 3.5 "4 s")."""
        return f"{round(self.remaining_s, 1):g} s"

    def text(self) -> str:
        return f"hold: {self.left()} to go"


@dataclass(frozen=True)
class HoldCapReached(Event):
    """The hold reached its cap (20 s by default): release now."""

    kind: ClassVar[str] = "hold_cap_reached"
    start_s: float
    cap_s: float

    def text(self) -> str:
        return f"RELEASE: {self.cap_s:.0f} s reached (hold began at {self.start_s:.2f} s)"


@dataclass(frozen=True)
class HoldEnded(Event):
    """A hold ended; carries its statistics."""

    kind: ClassVar[str] = "hold_ended"
    start_s: float
    end_s: float
    duration_s: float
    mean_force_n: float
    peak_force_n: float
    capped: bool
    cap_at_s: float | None
    over_cap_s: float

    def text(self) -> str:
        return (
            # Its span: the line is printed when the end is known, a moment after it (the motion
            # has to show), so its own time is not where the hold ended.
            f"hold ended: {self.duration_s:.1f} s ({self.start_s:.2f} to {self.end_s:.2f} s), "
            f"mean {self.mean_force_n:.0f} N, peak {self.peak_force_n:.0f} N"
            + (f", {self.over_cap_s:.1f} s over the cap" if self.capped else "")
            + (", released just before the cap" if self.cap_at_s is not None and not self.capped else "")
        )


@dataclass(frozen=True)
class CeilingExceeded(Event):
    """Force went above the user's pressure ceiling: it should hurt, never unbearably."""

    kind: ClassVar[str] = "ceiling_exceeded"
    force_n: float
    ceiling_n: float

    def text(self) -> str:
        # Not "429 N is above 429 N": the first sample over the line is always about the line itself.
        return f"TOO MUCH PRESSURE: above your ceiling of {self.ceiling_n:.0f} N"


@dataclass(frozen=True)
class SignalLost(Event):
    """No samples for ``gap_s`` seconds of stream time, announced when they come back (``t_s``), so
    the samples stopped at ``t_s - gap_s``. ``gap_s`` is None for a link that dropped at ``t_s`` with
    no samples after it in the session (it may have reconnected just as the session ended: the
    text says only what the samples show)."""

    kind: ClassVar[str] = "signal_lost"
    gap_s: float | None

    def text(self) -> str:
        if self.gap_s is None:
            return "signal lost: the roller's link dropped and no more samples came"
        return f"signal lost: no samples for {self.gap_s:.1f} s"


def _subclasses(cls: type[Event]) -> list[type[Event]]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


@cache  # every event type is defined once this module is imported
def _kinds() -> dict[str, type[Event]]:
    return {cls.kind: cls for cls in _subclasses(Event)}


def text_of(obj: dict[str, Any]) -> str:
    """An event's words from its JSON (``Event.to_json``): ``analyze --events`` says what the
    dashboard's log says, not its fields."""
    cls = _kinds().get(str(obj.get("kind")))
    try:
        if cls is not None:
            return cls(**{f.name: obj[f.name] for f in fields(cls)}).text()
    except (KeyError, TypeError):
        pass
    # Not one of ours (another tool's, a newer version's): its fields as they are.
    return ", ".join(f"{k}={_fmt(v)}" for k, v in obj.items() if k not in ("kind", "t_s"))

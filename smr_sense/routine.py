"""The guided bottom-up routine and what was done on each muscle group.

Work from the bottom of the body up (DOMAIN.md): calves first, lats last. The tracker follows the
session's events in stream time and files each hold and each stretch of rolling under the group that
was current when it happened. It is pure: no clock, no I/O, no textual; the dashboard and the
offline report feed it the same events and markers and get the same tallies.

Group changes are markers (``Marker(t_s, "muscle_group", {...})``) so that a recording carries them
and a replay moves through the routine exactly as the live session did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smr_sense.core.events import (
    CeilingExceeded,
    ContactLost,
    Event,
    HoldContinued,
    HoldEnded,
    HoldStarted,
    HoldStartRevised,
    RollingStarted,
    SignalLost,
)
from smr_sense.core.samples import Marker
from smr_sense.core.session import SampleGaps

MUSCLE_GROUP_MARKER = "muscle_group"

# A group is worked with a hold, or this much rolling: the second or two it gets while the person
# moves on to the next one is not working it.
WORKED_ROLLING_S = 10.0


def worked(holds: int, rolling_s: float) -> bool:
    """Whether a muscle group counts as worked (the panel's tick, the report's 'Not worked')."""
    # Rounded as the panel and the report show it: 9.6 s reads 0:10, and must not read "Not worked".
    return holds > 0 or round(rolling_s) >= WORKED_ROLLING_S


@dataclass(frozen=True)
class MuscleGroup:
    """One station of the routine. ``key`` is the stable name stored in recordings and reports."""

    key: str
    label: str
    advice: str = ""


ROUTINE: tuple[MuscleGroup, ...] = (
    MuscleGroup("calves", "Calves", "Roller under the calf, hands behind you take some weight."),
    MuscleGroup("hamstrings", "Hamstrings", "Back of the thigh, knee to just below the buttock."),
    MuscleGroup("quads", "Quads", "Face down, front of the thigh, above the knee to the hip."),
    MuscleGroup("adductors", "Adductors", "Inner thigh, leg out to the side."),
    MuscleGroup("glutes", "Glutes", "Sit on the roller, ankle over the other knee."),
    MuscleGroup("it_band", "IT band / TFL", "Side of the hip and thigh; lean on the top leg to ease it."),
    MuscleGroup("lower_back", "Lower back", "With care: gently, never straight on the spine."),
    MuscleGroup("upper_back", "Upper back", "Arms crossed, between the shoulder blades."),
    MuscleGroup("lats", "Lats", "On your side, arm overhead, below the armpit."),
)

_BY_KEY = {g.key: g for g in ROUTINE}


def group_by_key(key: str) -> MuscleGroup:
    """The routine's group with this key; an unknown key (a newer recording) gets a plain label."""
    return _BY_KEY.get(key) or MuscleGroup(key, key.replace("_", " ").capitalize())


@dataclass(frozen=True)
class HoldRecord:
    """One finished hold, as the pipeline reported it."""

    start_s: float
    end_s: float
    duration_s: float
    mean_force_n: float
    peak_force_n: float
    capped: bool
    over_cap_s: float

    @classmethod
    def from_event(cls, e: HoldEnded) -> HoldRecord:
        return cls(e.start_s, e.end_s, e.duration_s, e.mean_force_n, e.peak_force_n, e.capped, e.over_cap_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(self.duration_s, 3),
            "mean_force_n": round(self.mean_force_n, 1),
            "peak_force_n": round(self.peak_force_n, 1),
            "capped": self.capped,
            "over_cap_s": round(self.over_cap_s, 3),
        }


@dataclass
class GroupTally:
    """Holds and rolling time on one muscle group."""

    group: MuscleGroup
    holds: list[HoldRecord] = field(default_factory=list)
    # Rolling as (start_s, end_s) stretches, so a rewind (replay seek back) can cut them exactly.
    rolling: list[tuple[float, float]] = field(default_factory=list)

    @property
    def rolling_s(self) -> float:
        return sum(end - start for start, end in self.rolling)

    @property
    def caps(self) -> int:
        return sum(1 for h in self.holds if h.capped)

    @property
    def over_cap_s(self) -> float:
        return sum(h.over_cap_s for h in self.holds)


class RoutineTracker:
    """Current muscle group plus per-group tallies, driven by events and markers in stream time."""

    def __init__(self, groups: Iterable[MuscleGroup] = ROUTINE, index: int = 0) -> None:
        self.tallies: list[GroupTally] = [GroupTally(g) for g in groups]
        if not self.tallies:
            raise ValueError("a routine needs at least one muscle group")
        self.index = max(0, min(index, len(self.tallies) - 1))
        self._rolling_since_s: float | None = None  # open rolling stretch, not yet filed
        self._gaps = SampleGaps()  # never rolling time
        self._hold_end_s: float | None = None  # end of the hold just announced, if that was the last event
        self._now_s = 0.0
        self._switches: list[tuple[float, int]] = [(float("-inf"), self.index)]  # for rewinds
        self._skipped: list[tuple[float, float]] = []  # stream time jumped over by forward seeks
        self._alerts: list[CeilingExceeded | SignalLost] = []  # for the trainer's report

    # -- the routine -------------------------------------------------------------------------------

    @property
    def current(self) -> MuscleGroup:
        return self.tallies[self.index].group

    @property
    def groups(self) -> tuple[MuscleGroup, ...]:
        return tuple(t.group for t in self.tallies)

    def move(self, step: int, t_s: float) -> Marker | None:
        """Go ``step`` groups on (+1) or back (-1). Returns the marker to record, None at either end."""
        target = self.index + step
        if not 0 <= target < len(self.tallies) or step == 0:
            return None
        return self._switch(target, t_s)

    def go_to(self, key: str, t_s: float) -> Marker | None:
        for i, tally in enumerate(self.tallies):
            if tally.group.key == key:
                return None if i == self.index else self._switch(i, t_s)
        self.tallies.append(GroupTally(group_by_key(key)))
        return self._switch(len(self.tallies) - 1, t_s)

    def _switch(self, index: int, t_s: float) -> Marker:
        was_rolling = self._rolling_since_s is not None
        self._file_rolling(t_s)
        if was_rolling:  # rolling goes on, now on the new group
            self._rolling_since_s = t_s
        self.index = index
        self._switches.append((t_s, index))
        return Marker(t_s, MUSCLE_GROUP_MARKER, {"group": self.current.key, "label": self.current.label, "index": index})

    # -- events and markers ------------------------------------------------------------------------

    def apply_marker(self, marker: Marker) -> None:
        """Follow a recorded group change; a seek rewinds or skips."""
        if marker.kind == MUSCLE_GROUP_MARKER and "group" in marker.data:
            self.go_to(str(marker.data["group"]), marker.t_s)
        elif marker.kind == "seek":
            self.seek(float(marker.data.get("from_s", self._now_s)), marker.t_s)

    def apply_events(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply_event(event)

    def apply_event(self, event: Event) -> None:
        if isinstance(event, (CeilingExceeded, SignalLost)):
            self._alerts.append(event)
        if isinstance(event, RollingStarted):
            self._file_rolling(event.t_s)
            # After a hold the pipeline announces rolling late: it began when the hold ended.
            since = self._hold_end_s if self._hold_end_s is not None else event.t_s
            self._rolling_since_s = min(since, event.t_s)
        elif isinstance(event, HoldStarted):
            # The hold is confirmed late and back-dated: rolling ended when the motion stopped.
            self._file_rolling(event.start_s)
        elif isinstance(event, HoldStartRevised):
            # Force alone dates a hold again a few seconds in: the rolling filed before it ends there.
            rolling = self.tallies[self.index].rolling
            if rolling and rolling[-1][1] == event.was_s:
                a = rolling[-1][0]
                rolling[-1:] = [(a, event.start_s)] if event.start_s > a else []
        elif isinstance(event, HoldContinued):
            # Force alone took a re-adjustment for the next stroke: the hold filed at that end goes
            # on (filed again when it really ends), and the moment in between was no rolling.
            holds = self.tallies[self._index_at(event.start_s)].holds
            if holds and holds[-1].start_s == event.start_s:
                holds.pop()
            self._rolling_since_s = None
            for tally in self.tallies:  # (a group chosen in between filed it under the old one)
                tally.rolling = [r for r in tally.rolling if r[0] < event.ended_s]
        elif isinstance(event, HoldEnded):
            # Filed under the group it was held on: the next-group key pressed during the hold
            # (getting ready for the next muscle) does not move it; changing muscles means rolling
            # or lifting off first.
            self.tallies[self._index_at(event.start_s)].holds.append(HoldRecord.from_event(event))
            self._hold_end_s = event.end_s
        elif isinstance(event, ContactLost):
            self._file_rolling(event.t_s)
        elif isinstance(event, SignalLost) and event.gap_s is not None:
            # Rolling may go on after the samples return; the span without them is not counted.
            self._gaps.add(event.t_s - event.gap_s, event.t_s)
        if not isinstance(event, HoldEnded):
            self._hold_end_s = None
        self._now_s = max(self._now_s, event.t_s)

    def file_hold(self, event: HoldEnded) -> None:
        """A hold seen until a replay jumped ahead out of it (its end was skipped): counted as far as
        it was seen, under its group, with no bearing on the rolling that follows the jump."""
        self.tallies[self._index_at(event.start_s)].holds.append(HoldRecord.from_event(event))

    def group_at(self, t_s: float) -> MuscleGroup:
        """The group in effect at stream time ``t_s`` (a hold's, at its start: where it is filed)."""
        return self.tallies[self._index_at(t_s)].group

    def _index_at(self, t_s: float) -> int:
        """The group in effect at stream time ``t_s``."""
        return next((index for at_s, index in reversed(self._switches) if at_s <= t_s), self._switches[0][1])

    def advance(self, t_s: float) -> None:
        """Stream time reached ``t_s``: count the open rolling stretch up to now (for a live panel)."""
        self._now_s = max(self._now_s, t_s)

    def rolling_s(self, index: int) -> float:
        """Rolling time on group ``index`` including the stretch still open."""
        total = self.tallies[index].rolling_s
        if index == self.index and self._rolling_since_s is not None:
            total += sum(b - a for a, b in self._gaps.within(self._rolling_since_s, self._now_s))
        return total

    def _file_rolling(self, end_s: float) -> None:
        if self._rolling_since_s is not None:
            self.tallies[self.index].rolling.extend(self._gaps.file(self._rolling_since_s, end_s))
            self._rolling_since_s = None

    def close(self, t_s: float) -> None:
        """End of the session: file the open rolling stretch."""
        self._file_rolling(max(t_s, self._now_s))

    # -- alerts, for the trainer's report ----------------------------------------------------------

    @property
    def exceeded_ceilings_n(self) -> tuple[float, ...]:
        """The ceiling each exceedance crossed (the wizard may change it during a session)."""
        return tuple(e.ceiling_n for e in self._alerts if isinstance(e, CeilingExceeded))

    @property
    def signal_lost(self) -> int:
        """Drops of the link (or gaps in a file) announced, and ..."""
        return sum(1 for e in self._alerts if isinstance(e, SignalLost))

    @property
    def signal_lost_s(self) -> float:
        """... the seconds without samples they left (not counted as anything)."""
        return sum(e.gap_s or 0.0 for e in self._alerts if isinstance(e, SignalLost))

    @property
    def signal_lost_at_end(self) -> bool:
        """The link dropped and no samples came after it: a loss with no length."""
        return any(e.gap_s is None for e in self._alerts if isinstance(e, SignalLost))

    # -- replay seeks ------------------------------------------------------------------------------

    @property
    def skipped_s(self) -> float:
        """Stream time jumped over and not played since (a partial replay)."""
        return sum(b - a for a, b in self._skipped)

    def seek(self, from_s: float, to_s: float) -> None:
        """A replay jumped from ``from_s`` to ``to_s``. Going back forgets what lies after ``to_s``
        (it will be seen again); going forward notes the skipped time (the summary is partial)."""
        # The rolling under way was seen up to the jump (going back: up to where it lands).
        self._file_rolling(min(from_s, to_s))
        self._hold_end_s = None
        self._gaps.clear()  # rolling opens again after to_s, past every gap before it
        if to_s < from_s:
            for tally in self.tallies:
                # A hold still running at to_s is detected again after the seek: drop it here.
                tally.holds = [h for h in tally.holds if h.end_s <= to_s]
                tally.rolling = [(a, min(b, to_s)) for a, b in tally.rolling if a < to_s]
            self._switches = [s for s in self._switches if s[0] <= to_s]
            self.index = self._switches[-1][1]
            # What was jumped over after to_s is played again (or jumped over again, and noted then):
            # adding up every jump forward counted it twice.
            self._skipped = [(a, min(b, to_s)) for a, b in self._skipped if a < to_s]
            self._alerts = [e for e in self._alerts if e.t_s <= to_s]
        else:
            self._skipped.append((from_s, to_s))
        self._now_s = to_s

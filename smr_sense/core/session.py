"""Session logic on top of the detector: the hold timer, warning, cap, pressure ceiling and stats.

The hold timer runs from the back-dated start. The warning (``warning_before_cap_s`` before the
cap) and the cap are announced at exactly ``start + cap - warning`` and ``start + cap`` in stream
time, by the first sample at or after that moment while the hold lasts (so a hold of 19.99 s is
never capped and one of 20.00 s is). A hold confirmed late (a cap shorter than the confirmation
delay) announces at its confirmation, its warning with the time then left. Seconds past the cap are
tracked per hold.

One exception: a cap that falls due while the hold is *on trial* (the roller moving like rolling,
which the detector needs a moment to tell from a re-adjustment) waits for the first sample off
trial. A hold that ends in that moment was released before the cap (its end is back-dated to where
the motion began), and an alarm then would sound at someone already rolling on: none sounds. One
that goes on hears it at most that moment late (``HoldRules.readjust_max_s``, plus the cue's own).

A hold whose start the detector finds again (force alone, a few seconds in) is timed from the new
start (``HoldStartRevised``), unless its warning or cap was already announced from the old one. A
hold the detector takes back as having gone on (``HoldContinued``: force alone, a re-adjustment it
first read as the next stroke) is open again with its start, its stats so far and what it has
announced; it is counted once, when it really ends.

The pressure ceiling (newtons, or a share of body weight) has its own event on every crossing
upward, re-armed once the force has come back below 90 % of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.detect.contact import hysteresis
from smr_sense.core.detect.holds import TIME_EPS_S, Transition
from smr_sense.core.detect.window import RecentBlocks
from smr_sense.core.events import (
    CeilingExceeded,
    ContactLost,
    ContactStarted,
    Event,
    HoldCapReached,
    HoldContinued,
    HoldEnded,
    HoldStarted,
    HoldStartRevised,
    HoldWarning,
    RollingStarted,
)

CEILING_REARM = 0.9


@dataclass(frozen=True)
class HoldStats:
    start_s: float
    end_s: float
    duration_s: float
    mean_force_n: float
    peak_force_n: float
    capped: bool  # lasted the cap (released just short of it, the alarm may still have sounded: cap_at_s)
    cap_at_s: float | None  # when the alarm sounded (the live dashboard's moment), None if it did not
    over_cap_s: float
    confirmed_s: float  # when the hold was announced (start + confirmation delay)

    def to_json(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 4),
            "end_s": round(self.end_s, 4),
            "duration_s": round(self.duration_s, 4),
            "capped": self.capped,
            "cap_at_s": None if self.cap_at_s is None else round(self.cap_at_s, 4),
            "over_cap_s": round(self.over_cap_s, 4),
            "mean_force_n": round(self.mean_force_n, 4),
            "peak_force_n": round(self.peak_force_n, 4),
            "confirmed_s": round(self.confirmed_s, 4),
        }


@dataclass(frozen=True)
class RollingSegment:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4)}


class SampleGaps:
    """Spans without samples, in time order: nobody can say the person rolled while nothing came
    from the roller. The session's rolling stretches and the routine's per-group ones are cut by
    the same rule here."""

    def __init__(self) -> None:
        self._spans: list[tuple[float, float]] = []

    def add(self, before_s: float, back_s: float) -> None:
        self._spans.append((before_s, back_s))

    def clear(self) -> None:
        self._spans = []

    def within(self, start_s: float, end_s: float) -> list[tuple[float, float]]:
        """The stretch [start_s, end_s] less the spans without samples in it."""
        out: list[tuple[float, float]] = []
        a = start_s
        for before, back in self._spans:
            if back <= a or before >= end_s:
                continue
            if before > a:
                out.append((a, before))
            a = max(a, back)
        if end_s > a:
            out.append((a, end_s))
        return out

    def file(self, start_s: float, end_s: float) -> list[tuple[float, float]]:
        """:meth:`within` for a stretch being filed; spans up to its end are forgotten then, and only
        then: rolling announced after a hold opens back at the hold's end, which may lie before a
        span already reported (a hold that ended as the link dropped)."""
        out = self.within(start_s, end_s)
        self._spans = [g for g in self._spans if g[1] > end_s]
        return out


def ceiling_newtons(ceiling_n: float | None, ceiling_pct_bw: float | None, body_mass_kg: float | None) -> float | None:
    """The ceiling in newtons; the lower one when both forms are given."""
    values = []
    if ceiling_n is not None:
        values.append(float(ceiling_n))
    if ceiling_pct_bw is not None and body_mass_kg is not None:
        values.append(float(ceiling_pct_bw) / 100.0 * float(body_mass_kg) * G_N_PER_KG)
    return min(values) if values else None


class _History:
    """(t, force) of the last few seconds, so a back-dated hold can count its first samples."""

    def __init__(self, horizon_s: float) -> None:
        self.horizon_s = horizon_s
        self.blocks = RecentBlocks()  # (t, force)

    def add(self, t: np.ndarray, f: np.ndarray) -> None:
        if t.shape[0]:
            self.blocks.append((t, f))
            # Relative to this block's first sample: a hold confirmed in it may start before it.
            self.blocks.drop_ending_before(float(t[0]) - self.horizon_s)

    def since(self, start_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for t, f in self.blocks:
            if t.shape[0] and t[-1] >= start_s:
                # Only the block the start falls in needs searching (live: one of thousands).
                a = 0 if t[0] >= start_s else int(np.searchsorted(t, start_s, "left"))
                out.append((t[a:], f[a:]))
        return out


class SessionTracker:
    def __init__(
        self, hold_cap_s: float, warning_before_cap_s: float, ceiling_n: float | None, history_s: float
    ) -> None:
        self.cap_s = hold_cap_s
        self.warn_s = max(0.0, min(warning_before_cap_s, hold_cap_s))
        self.ceiling_n = ceiling_n
        self.holds: list[HoldStats] = []
        self.rolling: list[RollingSegment] = []
        self._history = _History(history_s)
        self._hold: dict[str, Any] | None = None  # the open hold
        self._hold_parts: list[tuple[np.ndarray, np.ndarray]] = []
        # The hold that last ended, as it was (its dict, its samples, when its end was announced),
        # until anything but the rolling after it happens: the detector may take the end back.
        self._ended: tuple[dict[str, Any], list[tuple[np.ndarray, np.ndarray]], float] | None = None
        self._rolling_since: float | None = None
        self._gaps = SampleGaps()
        self._above_ceiling = False
        self.peak_force_n = 0.0

    @property
    def open_hold(self) -> dict[str, Any] | None:
        return self._hold

    def step(
        self, t: np.ndarray, force_n: np.ndarray, transitions: list[Transition], on_trial: np.ndarray | None = None
    ) -> list[Event]:
        events: list[Event] = []
        n = t.shape[0]
        if n:
            self.peak_force_n = max(self.peak_force_n, float(force_n.max()))
        ceiling_hits = self._ceiling(force_n).tolist() if self.ceiling_n is not None else []
        self._history.add(t, force_n)
        if not transitions and not ceiling_hits and self._hold is None:
            return events  # no hold to time, nothing decided, no crossing: most blocks while rolling
        hits = iter(ceiling_hits)
        next_hit = next(hits, None)
        i = 0
        for tr in [*transitions, None]:
            stop = n if tr is None else tr.index
            part_from = i  # the open hold owns all of [i, stop), whatever crossings fall inside
            # Samples [i, stop) pass with the current state: scheduled announcements, ceiling crossings.
            while next_hit is not None and next_hit < stop:
                events.extend(self._scheduled(t, i, next_hit + 1, on_trial))
                events.append(CeilingExceeded(float(t[next_hit]), float(force_n[next_hit]), float(self.ceiling_n)))
                i = next_hit + 1
                next_hit = next(hits, None)
            events.extend(self._scheduled(t, i, stop, on_trial))
            if self._hold is not None:
                self._hold_parts.append((t[part_from:stop], force_n[part_from:stop]))
            i = stop
            if tr is not None:
                events.extend(self._transition(tr, t, force_n))
        return events

    def _ceiling(self, force_n: np.ndarray) -> np.ndarray:
        if self.ceiling_n is None or not force_n.shape[0]:
            return np.zeros(0, dtype=np.int64)
        above = hysteresis(force_n, self.ceiling_n, CEILING_REARM * self.ceiling_n, self._above_ceiling)
        prev = np.concatenate([[self._above_ceiling], above[:-1]])
        self._above_ceiling = bool(above[-1])
        return np.flatnonzero(above & ~prev)

    def _scheduled(self, t: np.ndarray, i: int, stop: int, on_trial: np.ndarray | None = None) -> list[Event]:
        """Warning and cap of the open hold, if a sample in [i, stop) reaches their time. A cap that
        falls due while the hold is ``on_trial`` (moving: it may be ending) waits for the first
        sample off trial, or for the hold's end."""
        h = self._hold
        if h is None or stop <= i or h["suspended"]:
            return []
        out: list[Event] = []
        last = float(t[stop - 1])
        due = h["start"] + self.cap_s
        if not h["warned"] and self.warn_s > 0 and last >= h["warn_at"] - TIME_EPS_S:
            h["warned"] = True
            # Announced late (confirmed after the warning time, or back from a loss of signal):
            # it says the time actually left, not the time it was set for.
            at = max(h["warn_at"], h["announce_from"])
            out.append(HoldWarning(at, h["start"], max(0.0, due - at) if at > h["warn_at"] else self.warn_s))
        if h["cap_at"] is None and last >= due - TIME_EPS_S:
            at = max(due, h["announce_from"])
            if on_trial is not None:
                a = i + int(np.searchsorted(t[i:stop], due - TIME_EPS_S, "left"))
                free = np.flatnonzero(~on_trial[a:stop])
                if not free.size:
                    h["deferred"] = True
                    return out
                if free[0] > 0 or h["deferred"]:  # due passed on trial, maybe in an earlier block
                    at = max(at, float(t[a + free[0]]))
            h["cap_at"] = at
            if not h["warned"] and self.warn_s > 0:
                h["warned"] = True
                out.append(HoldWarning(h["cap_at"], h["start"], 0.0))
            out.append(HoldCapReached(h["cap_at"], h["start"], self.cap_s))
        return out

    def _transition(self, tr: Transition, t: np.ndarray, force_n: np.ndarray) -> list[Event]:
        if tr.kind == "contact_started":
            return [ContactStarted(tr.t_s)]
        if tr.kind == "rolling_started":
            self._rolling_since = tr.t_s if self._rolling_since is None else self._rolling_since
            return [RollingStarted(tr.t_s)]
        if tr.kind == "hold_continued" and self._ended is not None:
            return self._continue(tr, t)
        if tr.kind == "contact_lost" and self._ended is not None and self._ended[2] == tr.t_s:
            self._rolling_since = None  # the hold ended as the person lifted off: no rolling between
        self._ended = None  # anything but the rolling that follows every end (above) keeps it ended
        if tr.kind == "contact_lost":
            self._close_rolling(tr.t_s)
            return [ContactLost(tr.t_s)]
        if tr.kind in ("hold_started", "hold_continued"):  # (one whose end was not seen: a new hold)
            start = float(tr.start_s)
            self._close_rolling(start)
            self._hold = {
                "start": start,
                "confirmed": tr.t_s,
                "warn_at": start + self.cap_s - self.warn_s,
                "warned": False,
                "cap_at": None,
                "announce_from": tr.t_s,  # nothing is announced before it is known
                "suspended": False,  # back from a loss of signal, not yet known to go on
                "deferred": False,  # its cap fell due on trial (see the module's docstring)
            }
            self._hold_parts = self._hold_samples(start, tr.t_s)
            return [HoldStarted(tr.t_s, start)] + self._scheduled(t, tr.index, tr.index + 1)
        if tr.kind == "hold_redated":
            return self._redate(tr)
        if tr.kind in ("hold_suspended", "hold_resumed") and self._hold is not None:
            # A warning or cap that fell due while no samples came is announced once the samples
            # that come back show the hold went on, and stamped then; never for a hold that ended.
            self._hold["suspended"] = tr.kind == "hold_suspended"
            if tr.kind == "hold_resumed":
                self._hold["announce_from"] = tr.t_s
                return self._scheduled(t, tr.index, tr.index + 1)
            return []
        if tr.kind == "hold_ended":
            # A hold that lasted the cap to its very end (released at exactly 20.00 s) reached it.
            end = float(tr.end_s if tr.end_s is not None else tr.t_s)
            if self._hold is not None and self._hold["deferred"]:
                self._hold["announce_from"] = tr.t_s  # a cap waiting on the trial would sound now
            return self._scheduled(np.array([end]), 0, 1) + [self._end_hold(tr)]
        raise ValueError(f"unknown transition {tr.kind}")  # pragma: no cover

    def _redate(self, tr: Transition) -> list[Event]:
        """The detector found the open hold's start again: the timer runs from there, unless a
        warning or the cap was already announced from the old one (the user heard those times)."""
        h = self._hold
        if h is None or h["warned"] or h["cap_at"] is not None:
            return []
        was, start = float(h["start"]), float(tr.start_s)
        h["start"], h["warn_at"] = start, start + self.cap_s - self.warn_s
        h["announce_from"] = max(h["announce_from"], tr.t_s)  # a time now past was not known before
        self._hold_parts = self._hold_samples(start, tr.t_s)
        last = self.rolling[-1] if self.rolling else None
        if last is not None and last.end_s == was:  # the rolling before it ended where it now begins
            self.rolling[-1:] = [RollingSegment(last.start_s, start)] if start > last.start_s else []
        return [HoldStartRevised(tr.t_s, start, was)]  # what falls due is announced from sample tr.index on

    def _continue(self, tr: Transition, t: np.ndarray) -> list[Event]:
        """The hold that ended goes on: open again from its start, uncounted, with no rolling filed
        since; a warning or cap it has announced is not announced again, one due by now is."""
        h, parts, ended_t = self._ended
        self._ended = None
        if self.holds and self.holds[-1].start_s == h["start"]:
            self.holds.pop()
        self._rolling_since = None
        h.update(announce_from=tr.t_s, suspended=False, deferred=False)
        self._hold = h
        self._hold_parts = parts + self._hold_samples(ended_t, tr.t_s)
        return [HoldContinued(tr.t_s, h["start"], float(tr.end_s))] + self._scheduled(t, tr.index, tr.index + 1)

    def _hold_samples(self, start_s: float, now_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """The hold's samples so far: from its (back-dated) start up to, not including, ``now_s``."""
        return [(ht[ht < now_s], hf[ht < now_s]) for ht, hf in self._history.since(start_s)]

    def _end_hold(self, tr: Transition) -> HoldEnded:
        h = self._hold or {"start": tr.start_s, "confirmed": tr.t_s, "cap_at": None}
        start, end = float(h["start"]), float(tr.end_s if tr.end_s is not None else tr.t_s)
        parts = [(pt, pf) for pt, pf in self._hold_parts if pt.shape[0]]
        if parts:
            ht = np.concatenate([p[0] for p in parts])
            hf = np.concatenate([p[1] for p in parts])
            sel = hf[ht <= end] if (ht <= end).any() else hf[:1]
            mean_f, peak_f = float(np.mean(sel)), float(np.max(sel))
        else:
            mean_f = peak_f = 0.0
        cap_at = h["cap_at"]
        # The alarm sounds at the cap while the hold seems to go on; a release is seen a moment after
        # it happened, so a hold can end (back-dated) just short of the cap after the alarm: it sounded
        # (``cap_at``), but the hold did not reach the cap, and is not counted as capped.
        capped = cap_at is not None and end - start >= self.cap_s - TIME_EPS_S
        # Time past the cap itself, as the live timer counts it: an alarm that sounded late (the
        # link was down at the cap) does not make the hold any less over.
        over = max(0.0, end - start - self.cap_s) if capped else 0.0
        stats = HoldStats(start, end, end - start, mean_f, peak_f, capped, cap_at, over, h["confirmed"])
        self.holds.append(stats)
        self._ended = (h, self._hold_parts, tr.t_s) if self._hold is not None else None
        self._hold = None
        self._hold_parts = []
        self._rolling_since = end
        return HoldEnded(tr.t_s, start, end, end - start, mean_f, peak_f, capped, cap_at, over)

    def lost(self, before_s: float, back_s: float) -> None:
        """No samples from ``before_s`` to ``back_s``: rolling is not counted there."""
        self._gaps.add(before_s, back_s)

    def _close_rolling(self, end_s: float) -> None:
        if self._rolling_since is not None:
            for a, b in self._gaps.file(self._rolling_since, end_s):
                self.rolling.append(RollingSegment(a, b))
        self._rolling_since = None

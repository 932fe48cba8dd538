"""The session summary: per muscle group, what was held and rolled; as JSON and as a trainer's Markdown.

Built from a :class:`RoutineTracker` at the end of a live session or a replay, and saved beside the
recording (``session.smr`` -> ``session.summary.json`` and ``session.summary.md``). Pure apart from
:func:`save_summary`: the caller passes in anything that depends on the clock (the start date).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.words import as_sentence, counted, duration, mmss, without_samples
from smr_sense.errors import SmrError
from smr_sense.routine import HoldRecord, RoutineTracker, worked

SUMMARY_VERSION = 1


def visited(holds: int, rolling_s: float) -> bool:
    """Whether a muscle group's numbers are shown rather than "-" (the Markdown's table, the summary
    screen, the routine panel): a hold, or rolling that reads as at least 0:01 (``mmss`` rounds).
    A visit that short is not ``worked``, but its time is shown, the same everywhere."""
    return holds > 0 or round(rolling_s) >= 1


@dataclass(frozen=True)
class GroupSummary:
    key: str
    label: str
    holds: tuple[HoldRecord, ...]
    rolling_s: float

    @property
    def hold_count(self) -> int:
        return len(self.holds)

    @property
    def hold_s(self) -> float:
        return sum(h.duration_s for h in self.holds)

    @property
    def longest_hold_s(self) -> float:
        return max((h.duration_s for h in self.holds), default=0.0)

    @property
    def mean_force_n(self) -> float | None:
        """Hold-time-weighted mean force over the group's holds."""
        total = self.hold_s
        if not self.holds or total <= 0:
            return None
        return sum(h.mean_force_n * h.duration_s for h in self.holds) / total

    @property
    def peak_force_n(self) -> float | None:
        return max((h.peak_force_n for h in self.holds), default=None)

    @property
    def caps(self) -> int:
        return sum(1 for h in self.holds if h.capped)

    @property
    def over_cap_s(self) -> float:
        return sum(h.over_cap_s for h in self.holds)

    @property
    def worked(self) -> bool:
        return worked(len(self.holds), self.rolling_s)

    @property
    def visited(self) -> bool:
        return visited(len(self.holds), self.rolling_s)


@dataclass(frozen=True)
class SessionSummary:
    source: str
    device_id: str
    duration_s: float
    hold_cap_s: float
    groups: tuple[GroupSummary, ...]
    body_mass_kg: float | None = None
    ceiling_n: float | None = None
    # The ceiling each exceedance crossed: the wizard may change it during a session.
    exceeded_ceilings_n: tuple[float, ...] = ()
    signal_lost: int = 0  # times the samples stopped coming (the link dropped) ...
    signal_lost_s: float = 0.0  # ... and for how long in all: nothing was measured then
    # The last loss never came back: the session ends there, and how long it went on is unknown.
    signal_lost_at_end: bool = False
    recording: str | None = None
    started_at: str | None = None  # ISO 8601 with its UTC offset (``local_now``), given by the caller
    skipped_s: float = 0.0  # replay time jumped over: the summary covers the rest
    # False when no force was read at all (a roller sending raw counts with no calibration): then
    # its zeros are no finding, and ``not_measured`` says why and how the counts can be measured.
    measured: bool = True
    not_measured: str | None = None
    # What was wrong with the data (a recording cut off, a saturated channel), one sentence each:
    # figures read from a damaged file must not pass for a whole session's.
    warnings: tuple[str, ...] = ()

    @property
    def ceiling_exceeded(self) -> int:
        return len(self.exceeded_ceilings_n)

    @property
    def holds(self) -> int:
        return sum(g.hold_count for g in self.groups)

    @property
    def caps(self) -> int:
        return sum(g.caps for g in self.groups)

    @property
    def over_cap_s(self) -> float:
        return sum(g.over_cap_s for g in self.groups)

    @property
    def rolling_s(self) -> float:
        return sum(g.rolling_s for g in self.groups)

    def pct_bw(self, force_n: float | None) -> float | None:
        if force_n is None or not self.body_mass_kg:
            return None
        return 100.0 * force_n / (self.body_mass_kg * G_N_PER_KG)


def local_now() -> str:
    """Now, as a live session's summary is dated: ISO 8601 in the person's own clock, with its UTC
    offset, so a trainer elsewhere (or the same person after a clock change) reads the same moment."""
    return _dt.datetime.now().astimezone().isoformat(timespec="minutes")


def recorded_at(header: dict) -> str | None:
    """When a recording was made (its header's UTC time), dated as a live summary is; None if unknown."""
    try:
        when = _dt.datetime.fromisoformat(str(header["created_utc"]))
    except (KeyError, ValueError):
        return None
    if when.tzinfo is None:  # the header's time is UTC by definition; naive, astimezone() would read it as local
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone().isoformat(timespec="minutes")


def started_text(started_at: str) -> str:
    """"2026-11-25 09:45 UTC+01:00" for the trainer's report; a date that does not parse, as it is."""
    try:
        when = _dt.datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    offset = when.strftime("%z")  # "+0100"; empty for a date given without one
    zone = f" UTC{offset[:3]}:{offset[3:]}" if offset else ""
    return when.strftime("%Y-%m-%d %H:%M") + zone


def summarize(
    tracker: RoutineTracker,
    *,
    source: str,
    device_id: str,
    duration_s: float,
    hold_cap_s: float,
    body_mass_kg: float | None = None,
    ceiling_n: float | None = None,
    recording: str | None = None,
    started_at: str | None = None,
    not_measured: str | None = None,
    warnings: tuple[str, ...] = (),
) -> SessionSummary:
    """The holds, rolling and alerts as ``tracker`` followed them. ``not_measured``: why no force
    was read at all, and what would measure it, for a session that was never measured (None for
    one that was, even in part)."""
    groups = tuple(
        GroupSummary(t.group.key, t.group.label, tuple(t.holds), tracker.rolling_s(i))
        for i, t in enumerate(tracker.tallies)
    )
    return SessionSummary(
        source=source,
        device_id=device_id,
        duration_s=duration_s,
        hold_cap_s=hold_cap_s,
        groups=groups,
        body_mass_kg=body_mass_kg,
        ceiling_n=ceiling_n,
        exceeded_ceilings_n=tracker.exceeded_ceilings_n,
        signal_lost=tracker.signal_lost,
        signal_lost_s=tracker.signal_lost_s,
        signal_lost_at_end=tracker.signal_lost_at_end,
        recording=recording,
        started_at=started_at,
        skipped_s=tracker.skipped_s,
        measured=not_measured is None,
        not_measured=not_measured,
        warnings=tuple(warnings),
    )


def _r(x: float | None, nd: int = 1) -> float | None:
    # float(): a sum over no holds is the int 0, and a reader typing the JSON expects 0.0 beside 25.0.
    return None if x is None else float(round(x, nd))


def summary_to_json(s: SessionSummary) -> dict[str, Any]:
    return {
        "version": SUMMARY_VERSION,
        "source": s.source,
        "device_id": s.device_id,
        "recording": s.recording,
        "started_at": s.started_at,
        "duration_s": _r(s.duration_s, 2),
        "skipped_s": _r(s.skipped_s, 2),
        # Unmeasured, the totals below are zeros for want of a force, not a session without holds.
        "measured": s.measured,
        "not_measured": s.not_measured,
        "warnings": list(s.warnings),
        "hold_cap_s": float(s.hold_cap_s),
        "body_mass_kg": _r(s.body_mass_kg, 2),
        "ceiling_n": _r(s.ceiling_n),
        "totals": {
            "holds": s.holds,
            "caps_reached": s.caps,
            "over_cap_s": _r(s.over_cap_s, 2),
            "rolling_s": _r(s.rolling_s, 2),
            "ceiling_exceeded": s.ceiling_exceeded,
            "signal_lost": s.signal_lost,
            "signal_lost_s": _r(s.signal_lost_s, 2),  # the losses that ended: one at the end has no length
            "signal_lost_at_end": s.signal_lost_at_end,
        },
        "groups": [
            {
                "group": g.key,
                "label": g.label,
                "holds": g.hold_count,
                "hold_s": _r(g.hold_s, 2),
                "longest_hold_s": _r(g.longest_hold_s, 2),
                "mean_force_n": _r(g.mean_force_n),
                "peak_force_n": _r(g.peak_force_n),
                "caps_reached": g.caps,
                "over_cap_s": _r(g.over_cap_s, 2),
                "rolling_s": _r(g.rolling_s, 2),
                "hold_list": [h.to_json() for h in g.holds],
            }
            for g in s.groups
        ],
    }


def _force(s: SessionSummary, force_n: float | None) -> str:
    if force_n is None:
        return "-"
    pct = s.pct_bw(force_n)
    return f"{force_n:.0f} N" + (f" ({pct:.0f} % BW)" if pct is not None else "")


def _ceilings(s: SessionSummary) -> str:
    """Which ceilings were exceeded, when the wizard changed it during the session: the header gives
    only the last one, and a count under two ceilings would read as all over that one."""
    crossed = Counter(round(c) for c in s.exceeded_ceilings_n)
    if len(crossed) > 1:
        return " (" + ", ".join(f"{counted(n, 'time')} over {c} N" for c, n in sorted(crossed.items())) + ")"
    if crossed and s.ceiling_n is not None and round(s.ceiling_n) not in crossed:
        return f" (over {next(iter(crossed))} N, the ceiling then)"
    return ""


def summary_markdown(s: SessionSummary) -> str:
    """A short report a trainer can read: one table, then what stands out."""
    lines = ["# Foam-rolling session", ""]
    # "2026-11-24 21:35, 21:10 min" set a time of day beside a length of the same shape.
    when = f", started {started_text(s.started_at)}" if s.started_at else ""
    lines.append(f"A session of {duration(s.duration_s)} on {s.device_id} ({s.source}){when}.")
    if s.body_mass_kg:
        lines.append(f"Body weight {round(s.body_mass_kg, 1):g} kg" + (f", pressure ceiling {s.ceiling_n:.0f} N." if s.ceiling_n else "."))
    if s.skipped_s > 0:
        lines.append(f"Partial: {s.skipped_s:.0f} s of the recording were skipped and are not counted.")
    if not s.measured:  # a table of dashes would read as a session where nothing was done
        return "\n".join([*lines, "", "## Notes", "", *(f"- {n}" for n in summary_notes(s)), *_warnings(s)]) + "\n"
    lines += [
        "",
        f"| Muscle group | Holds | Hold time | Longest | Mean force | Peak force | Caps ({s.hold_cap_s:g} s) | Over cap | Rolling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in s.groups:
        if not g.visited:  # a brief visit shows, but is not 'worked'
            lines.append(f"| {g.label} | - | - | - | - | - | - | - | - |")
            continue
        # As the summary screen: no hold has no hold time or longest ("-", not "0 s"), no cap no overrun.
        held = g.hold_count > 0
        lines.append(
            f"| {g.label} | {g.hold_count} | {f'{g.hold_s:.0f} s' if held else '-'} "
            f"| {f'{g.longest_hold_s:.0f} s' if held else '-'} | {_force(s, g.mean_force_n)} "
            f"| {_force(s, g.peak_force_n)} | {g.caps} | {f'{g.over_cap_s:.1f} s' if g.caps else '-'} | {mmss(g.rolling_s)} |"
        )
    lines += ["", "## Notes", ""]
    notes = summary_notes(s)
    lines += [f"- {n}" for n in notes]
    return "\n".join([*lines, *_warnings(s)]) + "\n"


def _warnings(s: SessionSummary) -> list[str]:
    if not s.warnings:
        return []
    return ["", "## Warnings", "", *(f"- {as_sentence(w)}" for w in s.warnings)]


def summary_notes(s: SessionSummary) -> list[str]:
    """What stands out, one sentence each (the Markdown's notes and the summary screen's)."""
    if not s.measured:
        # Nothing can stand out: "0 holds", "no hold past the cap", "not worked" would all be false.
        return [f"Not measured: {s.not_measured or 'no force was read'}."]
    # The sum of the table's rows as they read (each rounded to the second), so a trainer adding
    # them up gets this; rounding the total on its own could read a second off.
    rolling_s = sum(round(g.rolling_s) for g in s.groups)
    notes = [f"{counted(s.holds, 'hold')} in all, {duration(rolling_s)} of rolling."]
    if s.caps:
        notes.append(
            f"{counted(s.caps, 'hold')} reached the {s.hold_cap_s:g} s cap and went on {s.over_cap_s:.1f} s past it"
            # Two holds "went on 7.8 s past it" read as 7.8 s each.
            f"{' in all' if s.caps > 1 else ''}: release at the alarm."
        )
    else:
        notes.append(f"No hold went past the {s.hold_cap_s:g} s cap.")
    if s.ceiling_exceeded:
        notes.append(
            f"The pressure ceiling was exceeded {counted(s.ceiling_exceeded, 'time')}{_ceilings(s)}: "
            "it should hurt, never unbearably."
        )
    if s.signal_lost:
        # Nobody can say what the person did while no samples came: neither holds nor rolling.
        # (A link that never came back has no length: the session ended without its samples.)
        gaps = without_samples(s.signal_lost_s, ", not counted")
        # Its 0.0 s was read as no time lost, after a link that stayed down until the user quit.
        end = "; the last time it did not come back, so the session ends there" if s.signal_lost_at_end else ""
        notes.append(f"The roller's signal was lost {counted(s.signal_lost, 'time')}{gaps}{end}.")
    missed = [g.label for g in s.groups if not g.worked]
    if missed:
        # A partial replay cannot say what the skipped time held.
        played = " in what was played" if s.skipped_s > 0 else ""
        notes.append(f"Not worked{played}: " + ", ".join(missed) + ".")
    return notes


def summary_paths(recording_path: Path) -> tuple[Path, Path]:
    """Where a recording's summary lives: ``x.smr`` -> ``x.summary.json``, ``x.summary.md``. Any
    other file keeps its suffix (``x.csv`` -> ``x.csv.summary.json``): a recording and its export
    sit side by side, and a replay of the CSV must not take the recording's summary."""
    stem = recording_path.with_suffix("") if recording_path.suffix.lower() == ".smr" else recording_path
    return stem.with_name(stem.name + ".summary.json"), stem.with_name(stem.name + ".summary.md")


def taken_path(recording_path: Path) -> Path | None:
    """The recording or one of its summary files, if one already exists: a session is written over
    none of them without --force (a summary may be another session's report for a trainer)."""
    return next((p for p in (recording_path, *summary_paths(recording_path)) if p.exists()), None)


def save_summary(s: SessionSummary, recording_path: Path) -> tuple[Path, Path]:
    json_path, md_path = summary_paths(recording_path)
    try:
        for path, text in (
            (json_path, json.dumps(summary_to_json(s), indent=2) + "\n"),
            (md_path, summary_markdown(s)),
        ):
            tmp = path.with_name(path.name + ".tmp")
            try:
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)  # a reader never sees half a summary
            except OSError:
                tmp.unlink(missing_ok=True)  # nor a half one beside it (a full disk)
                raise
    except OSError as err:
        raise SmrError(f"could not save the session summary beside {recording_path}: {err.strerror or err}") from None
    return json_path, md_path

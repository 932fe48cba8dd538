"""How a dashboard session ends: what was saved, what went wrong, and when a summary is withheld.

Kept apart from :class:`~smr_sense.tui.session.DashboardSession` (which decides what happened) as
the rules for what may be written at the end: a replay's summary only replaces the file's own when
it covers the whole file (the recording itself is always closed and kept: ``session_recording``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smr_sense.core.events import Event
from smr_sense.recording.lock import being_recorded
from smr_sense.report import SessionSummary, summary_paths


@dataclass(frozen=True)
class SessionOutcome:
    summary: SessionSummary | None
    saved: tuple[Path, ...]
    error: str | None = None
    note: str | None = None  # why the summary was not saved, when that is on purpose
    # What the analysis had to repair or could not do (missing values, no calibration): as analyze says
    warnings: tuple[str, ...] = ()
    # What the finish itself announced: the hold it closed at the last sample, a link that never came
    # back. The summary counts them, so the screen must say them too.
    events: tuple[Event, ...] = ()


def not_measured_reason(
    problem: str | None, *, uncalibrated: bool, device_id: str, counts_in: Path | None
) -> str:
    """Why a session was never measured, and how its counts can be, for its summary: without it
    the report of a roller sending raw counts with no calibration reads as a session where nothing
    was done. ``counts_in``: the file that keeps the counts (the recording, or the file replayed)."""
    from smr_sense.emulator.roller import NO_WEIGHTS_ADVICE, is_emulated

    if not uncalibrated:  # the analysis could not start for another reason: its own sentence
        return problem or "no force could be read"
    said = "the roller sent raw counts and had no calibration, so no hold, cap or rolling was timed"
    emulated = is_emulated(device_id)
    if counts_in is None:
        how = NO_WEIGHTS_ADVICE if emulated else "calibrate the roller (press c, or smr-sense calibrate) next time"
        return f"{said}; its counts were not recorded: {how}"
    if emulated:  # calibrate and the wizard refuse it: only a calibration file can measure these counts
        return (
            f"{said}; its counts are kept in {counts_in}, and smr-sense analyze {counts_in} --calibration FILE "
            f"measures them; {NO_WEIGHTS_ADVICE}"
        )
    return (
        f"{said}; its counts are kept in {counts_in}: calibrate the roller (smr-sense calibrate), then "
        f"smr-sense analyze {counts_in} measures them (or give it --calibration FILE)"
    )


def replay_summary_withheld(
    summary_path: Path,
    *,
    measured: bool,
    stream_ended: bool,
    stopped_s: float,
    skipped_s: float,
    replace: bool,
    regrouped: bool = False,
) -> str | None:
    """Why a replay's summary must not be saved beside the replayed file, or None when it may.

    It is saved only when it covers all of that file as it was recorded: a replay quit half way,
    skipped through, or moved to other muscle groups by hand must not replace the summary of the
    whole session. (What a session recorded itself it always covers, so this is asked of replays
    only.)"""
    if not measured:
        return "Not saved: nothing in the file was measured (it has no calibration)."
    if being_recorded(summary_path):  # the replay read it part way through its session
        return f"Not saved: {summary_path} is still being recorded, so this replay saw only the start of it."
    if not stream_ended:
        return f"Not saved: the replay stopped at {stopped_s:.0f} s, before the end of the file."
    if skipped_s > 0:
        return f"Not saved: {skipped_s:.0f} s of the file were skipped."
    if regrouped:  # the file's own group changes say where each hold was (analyze, export)
        return "Not saved: the muscle groups were changed during the replay, so it is not the recorded session."
    existing = [p for p in summary_paths(summary_path) if p.exists()]
    if existing and not replace:
        # It may be the live session's own summary, with the day it was done: keep it unless told.
        return f"Not saved: {existing[0]} already exists (replay with --force to replace it)."
    return None

"""One dashboard session without the screen: pipeline, recording, routine, plot trace, summary.

The acquisition worker hands every item from the source to :class:`DashboardSession` and the screen
reads snapshots of it, so this class is where "what happened" lives and the widgets only draw. It
imports no textual, so the benchmark and tests can drive it alone. Stream time only: the one wall
clock here is the recording writer's flush timer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from smr_sense.core.events import Event, HoldEnded, RollingStarted
from smr_sense.core.pipeline import (
    CALIBRATION,
    CALIBRATION_ENDED,
    CALIBRATION_STARTED,
    PipelineOutput,
    SessionSettings,
    saved_calibration,
    without_saved_calibration,
)
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo, interleave
from smr_sense.core.session import ceiling_newtons
from smr_sense.core.words import mmss
from smr_sense.errors import SmrError
from smr_sense.recording import RecordingWriter
from smr_sense.report import save_summary, summarize
from smr_sense.routine import MUSCLE_GROUP_MARKER, RoutineTracker
from smr_sense.sources.base import LinkStats
from smr_sense.tui.guarded_analysis import GuardedAnalysis
from smr_sense.tui.outcome import SessionOutcome, not_measured_reason, replay_summary_withheld
from smr_sense.tui.session_recording import SessionRecording
from smr_sense.tui.stream_rate import StreamRate
from smr_sense.tui.trace import ForceTrace, state_codes

# Markers that describe the playback, not the session: never written into a recording.
PLAYBACK_MARKERS = {"seek"}
# A replay jumping ahead inside a hold lands in the same hold when its start, dated afresh from the
# samples before the landing, is this close to the start it had.
SAME_HOLD_S = 1.0


class DashboardSession:
    def __init__(
        self,
        settings: SessionSettings,
        *,
        record_path: Path | None = None,
        summary_path: Path | None = None,
        started_at: str | None = None,
        trace_span_s: float = 30.0,
        apply_profile: bool = False,
        calibration: dict[str, Any] | None = None,
        replace_existing: bool = False,
        force_from_s: float | None = None,
        rename: Callable[[Path], Path] | None = None,
    ) -> None:
        self.settings = settings
        # A replayed export of a roller first calibrated in the wizard has no force before then: the
        # analysis waits for that calibration's marker, as the live session did (as analyze does).
        self.force_from_s = force_from_s
        # --force: files already there may be replaced (a replay's summary; a live session's recording and its summaries)
        self.replace_existing = replace_existing
        self.recording = SessionRecording(record_path, rename, replace=replace_existing)
        self.summary_path = summary_path if summary_path is not None else record_path
        self.started_at = started_at
        self.apply_profile = apply_profile  # live: the roller's saved calibration; replay: the recorded one
        self.calibration_override = calibration  # replay --calibration: an old session, recalibrated
        self.info: StreamInfo | None = None
        self.analysis = GuardedAnalysis()
        self.tracker = RoutineTracker()
        self.trace = ForceTrace(span_s=trace_span_s)
        self.file_start_s: float | None = None  # a replay: the file's first sample (see origin_s)
        self.profile_problem: str | None = None  # the saved profile is damaged and ignored, until the wizard replaces it
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.samples = 0
        self.outcome: SessionOutcome | None = None
        self.stream_ended = False  # the source ran out (end of a file), as opposed to a quit
        self.source_warnings: tuple[str, ...] = ()  # what the source found wrong with a file (cut off)
        self.regrouped = False  # the user moved through the routine by hand (a replay's summary is then not saved)
        self._rate = StreamRate()
        self._start_config: tuple[StreamInfo, SessionSettings] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, info: StreamInfo) -> None:
        """The source is open: build the pipeline and open the recording."""
        if self.apply_profile:
            from smr_sense.profiles import with_usable_profile

            # A damaged profile is said on the banner and ignored: it must not cost the session.
            info, self.profile_problem = with_usable_profile(info)
        if self.calibration_override is not None:
            info = info.with_calibration(self.calibration_override)
        self.settings = self.settings.with_stream_body_mass(info.extra)  # a simulated person knows theirs
        # First: whatever happens next, the samples are kept. The summary goes beside the recording,
        # under the name it took.
        summary_follows = self.summary_path == self.recording.path
        self.recording.open(info, self._header_extra())
        if summary_follows:
            self.summary_path = self.recording.path
        # Only now: a session that cannot record does not start (the app says why, and exits 2).
        self.info = info
        self._start_config = (self.info, self.settings)  # what a replay seeks back to
        self._begin_analysis(info)

    def _header_extra(self) -> dict[str, Any]:
        # The cap too: analyze and a replay time the holds as this session did.
        extra: dict[str, Any] = {"app": "dashboard", **self.settings.timing()}
        if self.body_mass_kg:
            extra["body_mass_kg"] = self.body_mass_kg
        if self.ceiling_n:
            extra["ceiling_n"] = round(self.ceiling_n, 2)  # a replay's summary keeps the session's ceiling
        return extra

    def _begin_analysis(self, info: StreamInfo) -> None:
        """At the start of the stream, or of a replay seeked to: the pipeline, unless the file has no
        force yet (the calibration marker builds it then, see ``_configure``)."""
        if self.force_from_s is None:
            self.analysis.build(info, self.settings)
            return
        origin = self.origin_s if self.origin_s is not None else self.force_from_s
        self.analysis.wait(
            f"No force before {mmss(self.force_from_s - origin)}: "
            "the roller was first calibrated there, in the dashboard's wizard"
        )

    def begin_calibration(self) -> list[Event]:
        """The wizard opened: the session pauses (weights on the roller are not a hold), and the
        recording notes it so that a replay and ``analyze`` pause there too."""
        return self._mark(Marker(self.now_s, CALIBRATION_STARTED))

    def end_calibration(self) -> list[Event]:
        """The wizard was cancelled: the session goes on under the old calibration."""
        return self._mark(Marker(self.now_s, CALIBRATION_ENDED))

    def reconfigure(self, settings: SessionSettings, calibration: dict[str, Any] | None = None) -> list[Event]:
        """The wizard saved new settings (body weight, ceiling) and maybe a new calibration. One
        marker says so, recorded, and goes through ``mark`` exactly as a replay of the recording
        will send it: detection starts afresh, under the new calibration and ceiling."""
        data: dict[str, Any] = {"settings": settings.recorded()}
        if calibration is not None:
            data["calibration"] = calibration
        # What the user chose in the wizard just now beats what a replay's command line pinned,
        # and keeps its own form (a share of body weight) on screen and in the next wizard.
        self.settings = settings.replace(pinned=frozenset())
        self.analysis.unpin()
        if calibration is not None:
            self.profile_problem = None  # the wizard saved a new profile over the damaged one
        events = self._mark(Marker(self.now_s, CALIBRATION if calibration is not None else CALIBRATION_ENDED, data))
        if self._start_config is not None:
            # On a replay nothing is recorded, so no marker brings the change back after a seek: it
            # becomes what the replay seeks back to, as ``replay --calibration`` would.
            self._start_config = (self.info, self.settings)
        return events

    # -- items from the source ---------------------------------------------------------------------

    def feed(self, block: SampleBlock) -> list[Event]:
        if len(block) == 0 or self.outcome is not None:  # after finish() nothing more is taken
            return []
        self.recording.append(block)
        t = block.t_s
        self.first_t_s = float(t[0]) if self.first_t_s is None else self.first_t_s
        self.last_t_s = float(t[-1])
        self.samples += len(block)
        self._rate.add(float(t[0]), float(t[-1]), len(block))
        out = self.analysis.feed(block)
        if out is None:
            return []
        events = list(out.events)
        self._plot(out)
        self._note(events)
        self.tracker.advance(self.last_t_s)
        return events

    def mark(self, marker: Marker) -> list[Event]:
        """A marker from the source."""
        return self._mark(self._as_replayed(marker))

    def _as_replayed(self, marker: Marker) -> Marker:
        # ``replay --calibration``: the whole file under that calibration, not only up to where the
        # recorded session was recalibrated in the wizard (one saved in this replay's wizard stands).
        return without_saved_calibration(marker) if self.calibration_override is not None else marker

    def _mark(self, marker: Marker) -> list[Event]:
        if self.outcome is not None:
            return []
        if marker.kind not in PLAYBACK_MARKERS:
            self.recording.mark(marker)
        self.tracker.apply_marker(marker)
        if self._configure(marker):
            return []
        if marker.kind == "seek":
            left = self._hold_left(marker)
            # Stream time jumps (maybe backwards): the pipeline starts over from the new position,
            # as it would on a fresh replay from there, under the calibration and settings the
            # session started with (the wizard's changes before the new position come back in the
            # warm-up, later ones when the replay reaches them).
            # A forward seek jumps over the user's group changes: the routine follows them still.
            for skipped in marker.data.get("skipped", ()):
                if skipped.kind == MUSCLE_GROUP_MARKER:
                    self.tracker.apply_marker(skipped)
            self.trace.clear()
            self._rate.clear()
            if self._start_config is not None:  # set with ``info`` when the source opened
                self.info, self.settings = self._start_config
                self._begin_analysis(self.info)
                self._warm_up(marker)
            if left is not None and not self._holding_since(left.start_s):
                self.tracker.file_hold(left)
            self.last_t_s = marker.t_s
            return []
        events = self.analysis.mark(marker)
        self._note(events)
        return events

    def _hold_left(self, seek: Marker) -> HoldEnded | None:
        """A jump ahead out of a hold skips its end: the hold as seen up to the jump (capped, if it
        was), to be counted unless the same hold is still going on where the replay lands."""
        from_s = seek.data.get("from_s")
        status = self.analysis.status
        if from_s is None or seek.t_s <= from_s or status is None or status.state != "hold":
            return None
        if self._start_config is None:  # no fresh pipeline would follow the closed one
            return None
        _warnings, closing, _error = self.analysis.finish()
        return next((e for e in closing if isinstance(e, HoldEnded)), None)

    def _holding_since(self, start_s: float) -> bool:
        """The analysis is in a hold that began at ``start_s`` (give or take the dating's spread)."""
        status = self.analysis.status
        return (
            status is not None and status.state == "hold" and status.hold_start_s is not None
            and abs(status.hold_start_s - start_s) < SAME_HOLD_S
        )

    def _configure(self, marker: Marker) -> bool:
        """The wizard's body weight, ceiling and calibration on ``marker``, for the session itself
        (the pipeline takes them from the same marker). True when the marker starts the analysis:
        a roller first calibrated now."""
        if marker.kind in (CALIBRATION, CALIBRATION_ENDED) and isinstance(marker.data.get("settings"), dict):
            self.settings = self.settings.as_recorded(marker.data["settings"])  # the summary's ceiling
        calibration = saved_calibration(marker)
        if calibration is not None and self.info is not None:
            # A recalibration during the recorded session: from here on, the new one applies (the
            # pipeline switches too, on the same marker).
            self.info = self.info.with_calibration(calibration)
            if self.analysis.pipeline is None:
                self.analysis.build(self.info, self.settings)
                return True
        return False

    def _warm_up(self, seek: Marker) -> None:
        """Run the fresh pipeline over what came just before the seek target (the replay hands it
        over, with every calibration marker before it), so a hold in progress there keeps its real
        start and its cap, and the wizard's changes so far are in force. What it announces there
        was announced before (or skipped): only the state is kept, and the plot."""
        before = seek.data.get("before")
        if not before:
            return
        block, markers = before
        # What the pipeline announces here was announced already (or skipped): not news.
        for item in interleave(block, sorted(markers, key=lambda m: m.t_s)):
            if isinstance(item, Marker):
                item = self._as_replayed(item)
                if not self._configure(item):
                    self.analysis.mark(item)
            elif (out := self.analysis.feed(item)) is not None:
                self._plot(out)
        status = self.analysis.status
        if status is not None and status.state == "rolling":
            self.tracker.apply_event(RollingStarted(seek.t_s))

    def _plot(self, out: PipelineOutput) -> None:
        if len(out.t_s):
            self.trace.add(np.asarray(out.t_s), np.asarray(out.force_n), state_codes(out.state))

    def move_group(self, step: int) -> Marker | None:
        """The user moved on (+1) or back (-1) in the routine; the change goes into the recording."""
        marker = self.tracker.move(step, self.now_s)
        if marker is not None:
            self.regrouped = True
            self.recording.mark(marker)
        return marker

    def _note(self, events: list[Event]) -> None:
        if events:
            self.tracker.apply_events(events)

    # -- what the screen reads ---------------------------------------------------------------------

    @property
    def now_s(self) -> float:
        return self.last_t_s if self.last_t_s is not None else 0.0

    @property
    def problem(self) -> str | None:
        """What the banner says is wrong: the recording stopping (the most urgent: from then on
        nothing is kept), then a damaged profile ignored, then why there is no force. Kept apart, so
        that a new calibration, which clears the last two, leaves the first on screen."""
        profile = f"{self.profile_problem}." if self.profile_problem else None  # a sentence goes on after it
        said = [p for p in (self.recording.problem, profile, self.analysis.problem) if p]
        return " ".join(said) or None

    @property
    def writer(self) -> RecordingWriter | None:
        return self.recording.writer

    @property
    def recording_state(self) -> str | None:
        """Where the recording stands (see ``SessionRecording.state``)."""
        return self.recording.state

    @property
    def status(self) -> Any:
        return self.analysis.status

    @property
    def pipeline(self) -> Any:
        return self.analysis.pipeline

    @property
    def rate_hz(self) -> float | None:
        """Samples per second of stream (device) time over the last 2 s: deterministic on replay."""
        return self._rate.hz

    @property
    def body_mass_kg(self) -> float | None:
        mass = self.settings.body_mass_kg
        return float(mass) if mass else None

    @property
    def ceiling_n(self) -> float | None:
        s = self.settings
        return ceiling_newtons(s.ceiling_n, s.ceiling_pct_bw, self.body_mass_kg)

    @property
    def hold_cap_s(self) -> float:
        return float(self.settings.hold_cap_s)

    @property
    def origin_s(self) -> float | None:
        """The session's clock zero: a replay's first sample of the file (as on the playback bar),
        live the first sample (a roller's own clock counts from its boot)."""
        return self.file_start_s if self.file_start_s is not None else self.first_t_s

    @property
    def duration_s(self) -> float:
        if self.first_t_s is None or self.last_t_s is None:
            return 0.0
        return self.last_t_s - self.first_t_s

    # -- the end -----------------------------------------------------------------------------------

    def _summary_note(self) -> str | None:
        """Why the summary is not saved, on purpose: only ever for a replay (see outcome.py)."""
        if self.writer is not None or self.summary_path is None:
            return None
        origin = self.origin_s
        return replay_summary_withheld(
            self.summary_path,
            measured=self.analysis.measured,
            stream_ended=self.stream_ended,
            stopped_s=(self.last_t_s - origin) if origin is not None and self.last_t_s is not None else 0.0,
            skipped_s=self.tracker.skipped_s,
            replace=self.replace_existing,
            regrouped=self.regrouped,
        )

    def finish(self, link: LinkStats | None = None) -> SessionOutcome:
        """Close the pipeline and the recording, build and save the summary. Safe to call twice.
        ``link``: the source's statistics, whose losses the summary states when they are many."""
        if self.outcome is not None:
            return self.outcome
        link_warning = link.summary_warning() if link is not None else None
        errors: list[str] = []
        # E.g. nothing measured: no calibration. The recording's stop is not one of them: the error
        # below says it, with the samples it kept.
        warnings = [*self.source_warnings, *(p for p in (self.profile_problem, self.analysis.problem) if p)]
        more_warnings, closing, error = self.analysis.finish()
        if link_warning:
            more_warnings.append(link_warning)
        warnings += more_warnings
        self._note(closing)
        if error is not None:
            errors.append(error)
        self.tracker.close(self.now_s)
        saved: list[Path] = []
        if self.writer is not None:
            errors += self.recording.close()
            saved.append(self.writer.path)
        summary = None
        if self.info is not None:
            summary = summarize(
                self.tracker,
                source=self.info.source,
                device_id=self.info.device_id,
                duration_s=self.duration_s,
                hold_cap_s=self.hold_cap_s,
                body_mass_kg=self.body_mass_kg,
                ceiling_n=self.ceiling_n,
                # Its name: the summary is saved beside it (a full path was the typed one for a
                # replay, an absolute one, home folder and all, for a live session's).
                recording=self.summary_path.name if self.summary_path else None,
                started_at=self.started_at,
                not_measured=None if self.analysis.measured else not_measured_reason(
                    self.analysis.problem,
                    uncalibrated=self.analysis.uncalibrated,
                    device_id=self.info.device_id,
                    counts_in=self.writer.path if self.writer is not None else self.summary_path,
                ),
                warnings=(*self.source_warnings, *more_warnings),  # about the data, for whoever reads it later
            )
            note = self._summary_note()
            if self.summary_path is not None and note is None:
                try:
                    saved.extend(save_summary(summary, self.summary_path))
                except SmrError as err:
                    errors.append(str(err))
        else:
            note = None
        self.outcome = SessionOutcome(
            summary, tuple(saved), "; ".join(errors) or None, note, tuple(warnings), tuple(closing)
        )
        return self.outcome

"""The pipeline: samples in, states and session events out. Live, replay and ``analyze`` share it.

    settings = SessionSettings(hold_cap_s=20.0, body_mass_kg=80, ceiling_pct_bw=50)
    pipeline = Pipeline(info, settings)
    for item in stream:                      # SampleBlock | Marker, in stream order
        if isinstance(item, Marker):
            events = pipeline.mark(item)     # gap / disconnected -> SignalLost
        else:
            out = pipeline.feed(item)        # PipelineOutput
            out.events                       # list[Event], in order, stamped in stream time
            out.t_s, out.force_n, out.state  # per accepted sample: float64, float64 (total N), int8
            out.channel_force_n, out.motion  # per channel N (n, k); the motion cue's measure
        pipeline.status                      # PipelineStatus: what a dashboard shows right now
    result = pipeline.finish()               # SessionResult: holds, rolling, events, summary

    result = analyze_block(info, block, markers)   # offline: the same pipeline fed one block

States: 0 idle (no contact), 1 rolling, 2 hold (``STATE_NAMES``). Everything is in stream time
(the samples' ``t_s``); nothing reads a clock, so a replay announces every event exactly where the
live run did, and feeding a stream in any chunking gives identical states and events
(``tests/test_pipeline_chunking.py``).

Stages: :class:`~smr_sense.core.condition.Conditioner` (time order, NaN, spikes, newtons) ->
:class:`~smr_sense.core.detect.contact.ContactDetector` (hysteresis, auto-zero) -> a motion cue
(``core.detect.cues``: gyro, centre of pressure or force fluctuation) ->
:class:`~smr_sense.core.detect.holds.HoldDetector` -> :class:`~smr_sense.core.session.SessionTracker`.
Samples whose time repeats or steps back are dropped (counted in the result's warnings), so
``out.t_s`` can be shorter than the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smr_sense.core.condition import Conditioner
from smr_sense.core.detect.contact import ContactDetector, ContactSettings
from smr_sense.core.detect.cues import CueSettings, FluctuationCue, GyroCue, PressureCentreCue, SteadyForce, cue_for
from smr_sense.core.detect.holds import BACKDATE_S, HOLD, IDLE, STATE_NAMES, HoldDetector, HoldRules, Transition
from smr_sense.core.events import Event, HoldEnded, HoldStartRevised, SignalLost
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo, interleave
from smr_sense.core.session import HoldStats, RollingSegment, SessionTracker
from smr_sense.core.settings import SessionSettings

GAP_MARKERS = ("gap", "disconnected")
# The calibration wizard: known weights go on the roller between these, which is not a hold. The
# session pauses from "calibration_started" to "calibration" (a new calibration in its data) or
# "calibration_ended" (cancelled, or saved without a new calibration), then detection starts
# afresh, live and in a replay alike. Either end may carry the wizard's body weight and ceiling
# (``data["settings"]``, see ``SessionSettings.recorded``), in force from there.
CALIBRATION_STARTED, CALIBRATION, CALIBRATION_ENDED = "calibration_started", "calibration", "calibration_ended"
CALIBRATION_MARKERS = (CALIBRATION_STARTED, CALIBRATION, CALIBRATION_ENDED)  # the wizard's: in force until the next


def saved_calibration(marker: Marker) -> dict[str, Any] | None:
    """The calibration the wizard saved on ``marker`` (it applies to the samples after the marker's
    time: samples at its time came before it), or None for any other marker."""
    calibration = marker.data.get("calibration") if marker.kind == CALIBRATION else None
    return calibration if isinstance(calibration, dict) else None


def without_saved_calibration(marker: Marker) -> Marker:
    """``marker`` with no calibration of its own: a session recalibrated as a whole (``--calibration
    FILE``) keeps the wizard's pause, body weight and ceiling there, but not the wizard's calibration,
    which would undo the one asked for from that point on."""
    if saved_calibration(marker) is None:
        return marker
    return Marker(marker.t_s, marker.kind, {k: v for k, v in marker.data.items() if k != "calibration"})


def first_saved_calibration(markers: Iterable[Marker]) -> Marker | None:
    """The earliest marker on which the wizard saved a calibration, or None."""
    return min((m for m in markers if saved_calibration(m) is not None), key=lambda m: m.t_s, default=None)


@dataclass(frozen=True)
class PipelineOutput:
    events: list[Event]
    t_s: np.ndarray  # float64 (n,) accepted samples
    force_n: np.ndarray  # float64 (n,) total force, zeroed
    state: np.ndarray  # int8 (n,) 0 idle, 1 rolling, 2 hold
    channel_force_n: np.ndarray  # float64 (n, k)
    motion: np.ndarray  # float64 (n,) the cue's measure (m/s for gyro and centre of pressure)


@dataclass(frozen=True)
class PipelineStatus:
    t_s: float | None
    state: str  # idle | rolling | hold
    force_n: float
    hold_start_s: float | None
    hold_elapsed_s: float
    warning: bool
    capped: bool
    over_cap_s: float
    hold_cap_s: float
    holds: int


@dataclass
class SessionResult:
    info: StreamInfo
    holds: list[HoldStats]
    rolling: list[RollingSegment]
    events: list[Event]
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


class Pipeline:
    def __init__(self, info: StreamInfo, settings: SessionSettings | None = None) -> None:
        s = self.settings = settings or SessionSettings()
        self._condition = Conditioner(info)
        self._build_detection(info)
        cue = self._cue
        # The tracker keeps force from as far back as a hold's start can be dated at its confirmation.
        reach_s = s.confirm_max_s + 3.0 if cue.backdate is None else s.rhythm_max_s + BACKDATE_S + 1.0
        self._session = SessionTracker(s.hold_cap_s, s.warning_s, s.ceiling_force_n, history_s=reach_s)
        self._events: list[Event] = []
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._last_force = 0.0
        self._samples = 0
        self._gap_reported = False  # a marker already reported the gap before the next sample
        self._dropped = False  # the link dropped (a marker); the gap is reported when samples return
        self._paused = False  # between calibration_started and its end: weights, not a person
        self._finished: SessionResult | None = None

    def _build_detection(self, info: StreamInfo) -> None:
        """The stages from newtons to holds, fresh (at the start, and after a recalibration)."""
        self.info = info
        s = self.settings
        self._contact = ContactDetector(
            info.n_channels,
            ContactSettings(s.contact_on_n, s.contact_off_n, s.autozero, s.autozero_rate_n_per_s),
        )
        cue_settings = CueSettings(
            stop_speed_mps=s.stop_speed_mps,
            move_speed_mps=s.move_speed_mps,
            fluct_stop=s.fluct_stop,
            fluct_move=s.fluct_move,
            fluct_delay_s=s.fluct_delay_s,
            fluct_window_s=s.fluct_window_s,
            roller_axis=s.roller_axis,
        )
        cue = self._cue = cue_for(info, cue_settings, s.contact_off_n)
        self._steady = SteadyForce(info.rate_hz)
        stop, move = cue.levels
        rules = HoldRules(
            stop=stop,
            move=move,
            confirm_min_s=s.confirm_min_s,
            confirm_max_s=s.confirm_max_s if cue.adaptive_confirm else s.confirm_force_s,
            readjust_max_s=s.readjust_max_s + cue.window_s,  # the cue's smoothing stretches an episode
            readjust_max_m=s.readjust_max_m if cue.adaptive_confirm else s.force_change_max,
            burst_pair_s=s.burst_pair_s,
            rhythm_factor=s.rhythm_factor,
            rhythm_max_s=s.rhythm_max_s,
            max_gap_s=s.max_gap_s,
            rejoin_s=s.rejoin_force_s if cue.bursts else 0.0,
        )
        self._holds = HoldDetector(
            rules, cue.delay_s, cue.adaptive_confirm, cue.bursts, cue.end_delay_s, cue.backdate,
            cue.redate, cue.redate_after_s,
        )

    @property
    def cue_name(self) -> str:
        return self._cue.name

    def feed(self, block: SampleBlock) -> PipelineOutput:
        if self._finished is not None:
            raise RuntimeError("the pipeline has finished; make a new one")
        c = self._condition.step(block)
        t = c.t_s
        n = t.shape[0]
        if self._paused:
            return self._feed_paused(c)
        gaps: list[Event] = self._signal_gaps(t) if n else []
        contact = self._contact.step(t, c.channel_force_n)
        cue = self._cue
        if isinstance(cue, GyroCue):
            motion = cue.step(t, c.gyro_dps, contact.contact, contact.idle_windows)
        elif isinstance(cue, PressureCentreCue):
            motion = cue.step(t, contact.channel_force_n, contact.force_n)
        else:
            assert isinstance(cue, FluctuationCue)
            motion = cue.step(t, contact.force_n, contact.contact)
        steady = self._steady.step(contact.force_n)
        state, transitions = self._holds.step(t, contact.contact, motion.speed, motion.pos_m, steady, motion.quiet)
        # A hold while the roller moves like rolling may be ending: its cap waits (see SessionTracker).
        on_trial = (state == HOLD) & (motion.speed >= self._holds.rules.move)
        events = _merge(gaps, self._session.step(t, contact.force_n, transitions, on_trial))
        self._took(t, contact.force_n)
        self._events.extend(events)
        return PipelineOutput(events, t, contact.force_n, state, contact.channel_force_n, motion.speed)

    def feed_all(
        self, block: SampleBlock, markers: tuple[Marker, ...] | list[Marker] = (),
        each: Callable[[PipelineOutput], None] | None = None,
    ) -> list[Event]:
        """A stretch of stream at once, each marker between the samples around it (as it came
        live); ``each`` sees every block's output (a dashboard's plot)."""
        events: list[Event] = []
        for item in interleave(block, sorted(markers, key=lambda m: m.t_s)):
            if isinstance(item, Marker):
                events += self.mark(item)
                continue
            out = self.feed(item)
            events += out.events
            if each is not None:
                each(out)
        return events

    def _feed_paused(self, c) -> PipelineOutput:
        """Calibrating: the samples are kept and shown (in newtons, uncorrected), nothing is detected."""
        n = c.t_s.shape[0]
        force = c.channel_force_n.sum(axis=1)
        self._took(c.t_s, force)
        return PipelineOutput([], c.t_s, force, np.zeros(n, dtype=np.int8), c.channel_force_n, np.zeros(n))

    def _took(self, t: np.ndarray, force_n: np.ndarray) -> None:
        """The stream's span, size and latest force, whatever was made of the samples."""
        if t.shape[0]:
            if self._first_t is None:
                self._first_t = float(t[0])
            self._last_t = float(t[-1])
            self._last_force = float(force_n[-1])
            self._samples += t.shape[0]
            self._gap_reported = False
            self._dropped = False

    def _signal_gaps(self, t: np.ndarray) -> list[Event]:
        """Spans without samples: reported once the samples return (their length is known then),
        and kept out of the rolling time."""
        gap_s = self.settings.signal_gap_s
        out: list[Event] = []
        t0 = float(t[0])
        if self._last_t is not None and (t0 - self._last_t > gap_s or self._dropped):
            self._session.lost(self._last_t, t0)
            if not self._gap_reported:
                out.append(SignalLost(t0, t0 - self._last_t))
        # Time only moves forward here, so a block spanning no more than the gap has none inside.
        if float(t[-1]) - t0 > gap_s:
            d = np.diff(t)
            for i in np.flatnonzero(d > gap_s).tolist():
                self._session.lost(float(t[i]), float(t[i + 1]))
                out.append(SignalLost(float(t[i + 1]), float(d[i])))
        return out

    def mark(self, marker: Marker) -> list[Event]:
        """A marker from the source, in stream order between blocks."""
        if marker.kind in CALIBRATION_MARKERS:
            return self._calibration_marker(marker)
        if marker.kind not in GAP_MARKERS:
            return []
        gap = marker.data.get("gap_s", 0.0)
        try:
            gap_s = float(gap)
        except (TypeError, ValueError):
            gap_s = 0.0
        if marker.kind == "disconnected" or gap_s <= 0:
            # How long the link stays down shows when the samples return; then it is reported. A
            # disconnect ends nothing by itself either: the samples that come back (or the lack of
            # them, past ``max_gap_s``) tell whether the hold went on.
            self._dropped = True
            return []
        events: list[Event] = [SignalLost(float(marker.t_s), gap_s)]  # a gap of known length
        self._gap_reported = True
        self._events.extend(events)
        return events

    def _calibration_marker(self, marker: Marker) -> list[Event]:
        events: list[Event] = []
        if marker.kind == CALIBRATION_STARTED:
            if not self._paused and self._holds.mode != IDLE and self._last_t is not None:
                # The person steps off for the zero: whatever they were doing ends here.
                transitions: list[Transition] = []
                self._holds.leave(0, max(float(marker.t_s), self._last_t), transitions)
                events = self._session.step(np.zeros(0), np.zeros(0), transitions)
            self._paused = True
        else:
            calibration = saved_calibration(marker)
            if calibration is not None:
                info = self.info.with_calibration(calibration)
                self._condition = self._condition.recalibrated(info)
                self._build_detection(info)  # contact, zero and motion judged afresh
            elif self._paused:
                self._build_detection(self.info)
            self._paused = False
            recorded = marker.data.get("settings")
            if isinstance(recorded, dict):
                # The wizard's new body weight and ceiling, in force from here as they were live.
                self.settings = self.settings.as_recorded(recorded)
                self._session.ceiling_n = self.settings.ceiling_force_n
        self._events.extend(events)
        return events

    @property
    def status(self) -> PipelineStatus:
        h = self._session.open_hold
        mode = self._holds.mode
        t = self._last_t
        elapsed = (t - h["start"]) if (h is not None and t is not None) else 0.0
        cap = self.settings.hold_cap_s
        return PipelineStatus(
            t_s=t,
            state=STATE_NAMES[mode],
            force_n=self._last_force,
            hold_start_s=h["start"] if h is not None else None,
            hold_elapsed_s=max(0.0, elapsed),
            warning=h is not None and elapsed >= cap - self.settings.warning_s,
            capped=h is not None and h["cap_at"] is not None,
            over_cap_s=max(0.0, elapsed - cap) if h is not None else 0.0,
            hold_cap_s=cap,
            holds=len(self._session.holds),
        )

    def finish(self) -> SessionResult:
        """End of the stream: close an open hold at the last sample and summarise."""
        if self._finished is not None:
            return self._finished
        events: list[Event] = []
        if self._dropped and self._last_t is not None:
            events.append(SignalLost(self._last_t, None))  # the link never came back
        if self._holds.mode == HOLD and self._last_t is not None:
            transitions: list[Transition] = []
            self._holds.interrupt(0, self._last_t, self._last_t, transitions)
            # The hold's end (and its start found again, if it was still due); not the rolling after it.
            closing = self._session.step(np.zeros(0), np.zeros(0), transitions)
            events.extend(e for e in closing if isinstance(e, (HoldStartRevised, HoldEnded)))
        if self._holds.mode != IDLE and self._last_t is not None:
            self._session._close_rolling(self._last_t)
        self._events.extend(events)
        from smr_sense.core.analysis import summarise

        warnings = self._condition.stats.warnings()
        self._finished = SessionResult(
            self.info,
            list(self._session.holds),
            list(self._session.rolling),
            list(self._events),
            {},
            warnings,
        )
        self._finished.summary = summarise(self._finished, self)
        return self._finished

    # For summarise(): what the pipeline measured about the stream itself.
    @property
    def span_s(self) -> tuple[float | None, float | None, int]:
        return self._first_t, self._last_t, self._samples

    @property
    def peak_force_n(self) -> float:
        return self._session.peak_force_n


def _merge(gaps: list[Event], session: list[Event]) -> list[Event]:
    """Signal-lost events into the session's (already in time order), a gap before what it caused."""
    if not gaps:
        return session
    out: list[Event] = []
    j = 0
    for g in gaps:
        while j < len(session) and session[j].t_s < g.t_s:
            out.append(session[j])
            j += 1
        out.append(g)
    return out + session[j:]


def analyze_block(
    info: StreamInfo, block: SampleBlock, markers: tuple[Marker, ...] | list[Marker] = (),
    settings: SessionSettings | None = None,
) -> SessionResult:
    """The whole session at once: the same pipeline, fed one block (split only at markers)."""
    pipeline = Pipeline(info, settings)
    pipeline.feed_all(block, markers)
    return pipeline.finish()

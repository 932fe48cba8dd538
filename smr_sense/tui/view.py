"""Session state to widget state, once per redraw tick: the only place the two meet.

Values are rounded to what is shown before they are handed over, so a widget redraws only when
its text or its bar would change; the plot and the big number go at a slower pace (``slow``)
because a column of the plot spans about 0.2 s and a number changing faster than a meter's is
unreadable, while the bar, the state, the timer and the alarm follow at the full rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.widgets import Static

from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.sources.base import LINK_DOWN, Source
from smr_sense.tui.session import DashboardSession
from smr_sense.tui.trace import STATE_HOLD, STATE_ROLLING, state_code
from smr_sense.tui.units import UNIT_LABELS, format_force
from smr_sense.tui.widgets import (
    ForcePlot,
    ForceReadout,
    HoldTimer,
    PlaybackBar,
    PlotData,
    RoutinePanel,
    RoutineRow,
    StateBadge,
    StatusHeader,
)


# Below this the plot, the log and the routine cannot show their values: the dashboard keeps the
# state, the hold timer and its alarm, and a line with the force and the size it needs.
MIN_COLS, MIN_ROWS = 60, 18


@dataclass(frozen=True)
class DisplaySettings:
    unit: str = "N"
    bell: bool = True
    plot_window_s: float = 20.0
    # Target band as % body weight: foam rolling loads 32-34 % on average, peaks 51-55 %
    # (Baumgart et al. 2019); the band is guidance, the ceiling is the user's own limit.
    target_pct_bw: tuple[float, float] = (25.0, 45.0)


class DashboardView:
    def __init__(self, app: App, session: DashboardSession, source: Source, display: DisplaySettings) -> None:
        self.session = session
        self.source = source
        self.display = display
        self.header = app.query_one(StatusHeader)
        self.readout = app.query_one(ForceReadout)
        self.badge = app.query_one(StateBadge)
        self.timer = app.query_one(HoldTimer)
        self.routine = app.query_one(RoutinePanel)
        self.plot = app.query_one(ForcePlot)
        self.playback = app.query_one(PlaybackBar)
        self.size_note = app.query_one("#size-note", Static)
        self._note = ""
        self.scale_n = 0.0

    def draw(self, unit: str, *, slow: bool, fast_forwarding: bool = False) -> Any:
        """Push the session's state into the widgets; returns the pipeline status it showed (None
        before the stream and after the end)."""
        s = self.session
        status = s.status
        self._header()
        mass = s.body_mass_kg
        band = self.band_n(mass, s.ceiling_n)
        scale = self.scale(status, band, s.ceiling_n)

        readout = self.readout
        readout.unit, readout.body_mass_kg = unit, mass
        readout.scale_n, readout.band_n, readout.ceiling_n = scale, band, s.ceiling_n
        # While the link is down the last force and state are old news: say so, not show them frozen
        # (the hold timer keeps the time held, without a countdown: it goes on if they still hold).
        link_down = self.source.stats.state in LINK_DOWN
        down = status is not None and link_down
        # Once the session has ended nothing is measured or timed: its finish closed any hold.
        ended = s.outcome is not None
        force_n = None if status is None or down or ended else round(float(status.force_n), 1)
        readout.force_n = force_n

        self.badge.state = self._state_word(status, ended, link_down)
        if ended:
            status = None  # no timer, no bell, no force on the compact line
        self._timer(status, down)
        self._routine()
        self._playback(fast_forwarding)
        if slow or down:  # "--" at once; the plot has nothing new while no samples come
            readout.number_n = force_n
        if slow:
            window_s = self.display.plot_window_s
            t, f, st = s.trace.window(s.now_s, window_s)
            self.plot.data = PlotData(t, f, st, s.now_s, window_s, scale, s.ceiling_n, band, unit, mass)
        return status

    def _state_word(self, status: Any, ended: bool, link_down: bool) -> str:
        """The badge: the detector's state; NO SIGNAL while the link is down (once there is a state
        or a sample to be old news); with no state, UNCALIBRATED when the roller's counts cannot be
        measured (they stream and are recorded, which WAITING would hide), else WAITING."""
        if ended:
            return "ended"
        if status is None and self.session.last_t_s is None:
            return "waiting"
        if link_down:
            return "nosignal"
        if status is None:
            return "uncalibrated" if self.session.analysis.uncalibrated else "waiting"
        code = state_code(status.state)
        return "hold" if code == STATE_HOLD else "rolling" if code == STATE_ROLLING else "off"

    def note_size(self, unit: str, cols: int, rows: int) -> None:
        """The compact layout's line: the force its hidden readout was just given by :meth:`draw`
        ("--" while no signal comes, as the readout shows), the muscle group (its panel is hidden,
        and ↓↑ change it) and the size that shows everything."""
        force = format_force(self.readout.force_n, unit, self.session.body_mass_kg)
        label = UNIT_LABELS.get(unit, unit) if force != "--" else ""
        group = self.session.tracker.current.label
        text = f"{force} {label}".strip() + f" · {group} · full view at {MIN_COLS}x{MIN_ROWS}"
        if text != self._note:
            self._note = text
            self.size_note.update(text)

    def _header(self) -> None:
        header, s = self.header, self.session
        stats = self.source.stats
        playback = self.source.playback
        # Polled here, not only when a block arrives: while a link is down nothing arrives.
        header.link_state = "paused" if playback is not None and playback.paused and stats.state == "streaming" else stats.state
        rate = s.rate_hz if stats.state == "streaming" else None
        shown = header.rate_hz
        if rate is None or shown is None or abs(rate - shown) >= 0.01 * shown:  # 1 %: no flicker
            header.rate_hz = None if rate is None else round(rate)
        # The share of samples that arrived whole: next to "reconnecting" a "100 %" would read as a
        # healthy link, so none is shown while the link is down.
        pct = stats.whole_pct
        header.link_pct = round(pct, 1) if pct is not None and stats.state not in LINK_DOWN else None
        self.show_recording()

    def show_recording(self) -> None:
        """Whether the session is recording: polled, as a full disk stops the recording; the app
        calls it once more when the end of the session has closed it."""
        s = self.session
        state = s.recording_state
        if state is not None and s.writer is not None:
            self.header.recording_state = state
            self.header.recording = str(s.writer.path)

    def _timer(self, status: Any, down: bool) -> None:
        timer = self.timer
        holding = status is not None and status.hold_start_s is not None
        timer.active = holding
        timer.no_signal = down
        if holding:
            # Quarter seconds: finer than a cell of the countdown bar, 4 redraws a second at most.
            timer.elapsed_s = math.floor(float(status.hold_elapsed_s) * 4) / 4
            timer.warning = bool(status.warning)
            timer.capped = bool(status.capped)
            timer.over_cap_s = float(math.floor(status.over_cap_s))

    def _routine(self) -> None:
        tracker = self.session.tracker
        self.routine.rows = tuple(
            RoutineRow(t.group.label, len(t.holds), t.caps, round(tracker.rolling_s(i))) for i, t in enumerate(tracker.tallies)
        )
        self.routine.current = tracker.index
        self.routine.advice = tracker.current.advice

    def _playback(self, fast_forwarding: bool) -> None:
        playback = self.source.playback
        if playback is None:
            return
        bar = self.playback
        # From the file's first sample, not the session's: a replay started (or seeked) part way
        # in is that far into the file.
        bar.position_s = round(max(playback.position_s - playback.start_s, 0.0) * 2) / 2
        bar.duration_s = playback.duration_s
        bar.speed, bar.paused = playback.speed, playback.paused
        bar.seeking_hold = fast_forwarding
        bar.ended = self.source.stats.state == "ended"

    def band_n(self, mass: float | None, ceiling_n: float | None = None) -> tuple[float, float] | None:
        """The usual working force (a share of body weight), never above the user's own ceiling:
        the screen must not ask for more than they said they can bear (none left: no band)."""
        if not mass:
            return None
        lo, hi = (pct / 100 * mass * G_N_PER_KG for pct in self.display.target_pct_bw)
        if ceiling_n is not None:
            hi = min(hi, ceiling_n)
            if hi <= lo:
                return None
        return (lo, hi)

    def scale(self, status: Any, band: tuple[float, float] | None, ceiling: float | None) -> float:
        """Full scale of bar and plot: room above the ceiling, growing (never shrinking) with the force."""
        want = max(
            (ceiling or 0.0) * 1.2,
            (band[1] * 1.3) if band else 0.0,
            float(status.force_n) * 1.15 if status is not None and math.isfinite(status.force_n) else 0.0,
            100.0,
        )
        if want > self.scale_n:
            self.scale_n = math.ceil(want / 100.0) * 100.0
        return self.scale_n

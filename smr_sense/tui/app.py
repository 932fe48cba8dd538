"""The dashboard app: one acquisition worker feeds the session, a fixed-rate refresh draws it.

Build it with :func:`make_app` so tests get the real app with a replay or simulated source. The
worker never asks what kind of source it holds: replay controls appear because ``source.playback``
is not None, and the alarm follows the pipeline's events in stream time, live or replayed alike.
"""

from __future__ import annotations

import asyncio
import math
import signal
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Log
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from smr_sense.core import events as ev
from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.samples import Marker
from smr_sense.errors import SmrError
from smr_sense.sources.base import Source
from smr_sense.tui.messages import LinkChanged, SessionEvents, SourceFault, StreamEnded, StreamMarker, StreamOpened
from smr_sense.tui.phrases import describe_event, describe_marker
from smr_sense.tui.screens.summary import SummaryScreen
from smr_sense.tui.session import DashboardSession
from smr_sense.tui.trace import STATE_HOLD, STATE_ROLLING, state_code
from smr_sense.tui.units import available_units
from smr_sense.tui.widgets import (
    Banner,
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

REFRESH_HZ = 15.0  # redraws per second at most, whatever the input rate (at most ~67 ms behind)
# The plot (a column spans ~0.2 s) and the big number (a meter's pace: readable, not flickering)
# are redrawn 5 times a second; bars, state, timer and alarm at the full rate.
SLOW_REFRESH_S = 0.2
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FAST_FORWARD_SPEED = 50.0  # "next hold": play this fast until the pipeline confirms a hold
BELL_REPEAT_S = 5.0  # ring again every 5 s of stream time past the cap


@dataclass(frozen=True)
class DisplaySettings:
    unit: str = "N"
    bell: bool = True
    plot_window_s: float = 20.0
    # Target band as % body weight: foam rolling loads 32-34 % on average, peaks 51-55 %
    # (Baumgart et al. 2019); the band is guidance, the ceiling is the user's own limit.
    target_pct_bw: tuple[float, float] = (25.0, 45.0)


class SmrDashboard(App[int]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "smr-sense"
    ENABLE_COMMAND_PALETTE = False  # every action has a key in the footer

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("down", "group(1)", "Next group", key_display="↓"),
        Binding("up", "group(-1)", "Back", key_display="↑"),
        Binding("space", "pause", "Pause"),
        Binding("left", "seek(-5)", "-5s", key_display="←"),
        Binding("right", "seek(5)", "+5s", key_display="→"),
        Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+"),
        Binding("minus", "speed(-1)", "Slower", key_display="-"),
        Binding("n", "next_hold", "Next hold"),
        Binding("u", "unit", "Unit"),
        Binding("b", "toggle_bell", "Bell"),
        Binding("c", "calibrate", "Calibrate"),
    ]
    PLAYBACK_ACTIONS = {"pause", "seek", "speed", "next_hold"}
    DASHBOARD_ACTIONS = PLAYBACK_ACTIONS | {"group", "unit", "toggle_bell", "calibrate"}

    def __init__(self, source: Source, session: DashboardSession, display: DisplaySettings, profiles: Any = None) -> None:
        super().__init__()
        self.source = source
        self.session = session
        self.display_settings = display
        self.profiles = profiles
        self.unit = display.unit
        self.bell_on = display.bell
        self._worker: Worker[None] | None = None
        self._dirty = True
        self._last_plot = 0.0
        self._scale_n = 0.0
        self._bells = 0
        self._fast_forward_from: float | None = None  # speed to return to after "next hold"
        self._ending = False
        self.stream_open = False
        self.fault: str | None = None  # the last fault sentence, for the command line after exit
        self.alarm_t_s: list[float] = []  # stream times at which RELEASE was raised (tests, log)

    # -- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield Banner(id="banner")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ForceReadout(id="readout")
                yield ForcePlot(id="plot")
                yield Log(id="log", max_lines=300, auto_scroll=True)
            with Vertical(id="right"):
                yield StateBadge(id="state")
                yield HoldTimer(id="timer")
                yield RoutinePanel(id="routine")
        yield PlaybackBar(id="playback")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        log = self.query_one("#log", Log)
        log.border_title = "Events"
        log.can_focus = False  # arrow keys belong to the routine and the replay, not to scrolling
        self.query_one("#routine", RoutinePanel).border_title = "Routine, bottom up"
        self.query_one("#plot", ForcePlot).border_title = f"Force, last {self.display_settings.plot_window_s:g} s"
        self.query_one(StatusHeader).source_text = self.source.spec
        self.query_one(HoldTimer).cap_s = self.session.hold_cap_s
        self.query_one("#playback").display = self.source.playback is not None
        # The dashboard's widgets, found once: the refresh runs 30 times a second.
        self.w_header = self.query_one(StatusHeader)
        self.w_readout = self.query_one(ForceReadout)
        self.w_badge = self.query_one(StateBadge)
        self.w_timer = self.query_one(HoldTimer)
        self.w_routine = self.query_one(RoutinePanel)
        self.w_plot = self.query_one(ForcePlot)
        self.w_playback = self.query_one(PlaybackBar)
        self.w_log = log
        self.w_banner = self.query_one(Banner)
        self._worker = self._acquire()
        self._refresh_timer = self.set_interval(1.0 / REFRESH_HZ, self._refresh_view)
        # A closed terminal or a kill still ends the session cleanly: the caller saves after exit.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)

    # -- acquisition -------------------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="acquisition", name="acquisition")
    async def _acquire(self) -> None:
        source, session = self.source, self.session
        link_state = ""
        try:
            info = await source.open()
            session.start(info)
            self.post_message(StreamOpened(info))
            for warning in getattr(source, "warnings", None) or ():
                self.post_message(SourceFault(warning))
            async for item in source:
                if isinstance(item, Marker):
                    events = session.mark(item)
                    self.post_message(StreamMarker(item))
                else:
                    events = session.feed(item)
                if events:
                    self._after_events(events)
                    self.post_message(SessionEvents(tuple(events)))
                if source.stats.state != link_state:
                    link_state = source.stats.state
                    self.post_message(LinkChanged(link_state))
                self._dirty = True
            self.post_message(StreamEnded())
        except asyncio.CancelledError:
            raise
        except SmrError as err:
            self.post_message(SourceFault(str(err)))
        except Exception as err:  # a bug must not become a traceback over the dashboard
            self.post_message(SourceFault(f"Unexpected error ({type(err).__name__}: {err}); what was recorded is kept."))
        finally:
            with suppress(Exception):
                await source.close()
            self.post_message(LinkChanged("ended"))

    def _after_events(self, events: list[ev.Event]) -> None:
        """Runs in the worker, between two blocks, so "next hold" stops on the hold, not after it."""
        playback = self.source.playback
        if self._fast_forward_from is not None and playback is not None:
            if any(isinstance(e, ev.HoldStarted) for e in events):
                playback.set_speed(self._fast_forward_from)
                self._fast_forward_from = None

    # -- messages from the worker ------------------------------------------------------------------

    def on_stream_opened(self, message: StreamOpened) -> None:
        self.stream_open = True
        info = message.info
        header = self.w_header
        header.source_text = f"{info.device_name}  {self.source.spec}"
        header.recording = str(self.session.record_path) if self.session.writer is not None else None
        if self.unit not in available_units(self.session.body_mass_kg):
            self.unit = "N"
        if self.session.writer is not None:
            self.w_log.write_line(f"Recording to {self.session.writer.path}")
        if self.session.problem:
            self._banner(f"{self.session.problem} (press c to calibrate)", "warning")
        self._dirty = True

    def on_session_events(self, message: SessionEvents) -> None:
        log = self.w_log
        group = self.session.tracker.current.label
        for event in message.events:
            if isinstance(event, ev.HoldCapReached):
                self.alarm_t_s.append(event.t_s)
                self._bells = 0
                self._ring()
            line = describe_event(event, group)
            if line:
                log.write_line(line)
        self._dirty = True

    def on_stream_marker(self, message: StreamMarker) -> None:
        marker = message.marker
        if marker.kind == "disconnected":
            self._banner("The roller is disconnected: reconnecting, the session goes on.", "warning")
        elif marker.kind == "reconnected":
            self._banner("")
        line = describe_marker(marker)
        if line:
            self.w_log.write_line(line)

    def on_link_changed(self, message: LinkChanged) -> None:
        self.w_header.link_state = message.state

    def on_source_fault(self, message: SourceFault) -> None:
        self.fault = message.text
        self._banner(message.text, "error")

    async def on_stream_ended(self, message: StreamEnded) -> None:
        await self.end_session()

    # -- drawing -----------------------------------------------------------------------------------

    def _refresh_view(self) -> None:
        if not self._dirty or not self.is_running:
            return
        self._dirty = False
        s = self.session
        status = s.status
        header = self.w_header
        # Values are rounded to what is shown, so a widget redraws only when its text changes.
        rate = s.rate_hz
        shown = header.rate_hz
        if rate is None or shown is None or abs(rate - shown) >= 0.01 * shown:  # 1 %: no flicker
            header.rate_hz = None if rate is None else round(rate)
        stats = self.source.stats
        total = stats.samples + stats.lost + stats.corrupt
        header.link_pct = round(100.0 * stats.samples / total, 1) if total else None
        mass = s.body_mass_kg
        band = self._band_n(mass)
        scale = self._scale(status, band, s.ceiling_n, mass)

        readout = self.w_readout
        readout.unit, readout.body_mass_kg = self.unit, mass
        readout.scale_n, readout.band_n, readout.ceiling_n = scale, band, s.ceiling_n
        force_n = None if status is None else round(float(status.force_n), 1)
        readout.force_n = force_n

        code = None if status is None else state_code(status.state)
        badge = self.w_badge
        badge.state = "waiting" if code is None else "hold" if code == STATE_HOLD else "rolling" if code == STATE_ROLLING else "off"

        timer = self.w_timer
        holding = status is not None and status.hold_start_s is not None
        timer.active = holding
        if holding:
            # Quarter seconds: finer than a cell of the countdown bar, 4 redraws a second at most.
            timer.elapsed_s = math.floor(float(status.hold_elapsed_s) * 4) / 4
            timer.warning = bool(status.warning)
            timer.capped = bool(status.capped)
            timer.over_cap_s = float(math.floor(status.over_cap_s))
            if status.capped and status.over_cap_s >= (self._bells + 1) * BELL_REPEAT_S:
                self._bells += 1
                self._ring()

        routine = self.w_routine
        tracker = s.tracker
        routine.rows = tuple(
            RoutineRow(t.group.label, len(t.holds), t.caps, int(tracker.rolling_s(i))) for i, t in enumerate(tracker.tallies)
        )
        routine.current = tracker.index
        routine.advice = tracker.current.advice

        playback = self.source.playback
        if playback is not None:
            bar = self.w_playback
            bar.position_s = round(max(playback.position_s - (s.first_t_s or 0.0), 0.0) * 2) / 2
            bar.duration_s = playback.duration_s
            bar.speed, bar.paused = playback.speed, playback.paused
            bar.seeking_hold = self._fast_forward_from is not None

        now = time.monotonic()
        if now - self._last_plot >= SLOW_REFRESH_S or self._ending:
            self._last_plot = now
            readout.number_n = force_n
            t, f, st = s.trace.window(s.now_s, self.display_settings.plot_window_s)
            self.w_plot.data = PlotData(
                t, f, st, s.now_s, self.display_settings.plot_window_s, scale, s.ceiling_n, band, self.unit, mass
            )
        else:
            self._dirty = True  # the plot still owes a frame

    def _band_n(self, mass: float | None) -> tuple[float, float] | None:
        if not mass:
            return None
        lo, hi = self.display_settings.target_pct_bw
        return (lo / 100 * mass * G_N_PER_KG, hi / 100 * mass * G_N_PER_KG)

    def _scale(self, status: Any, band: tuple[float, float] | None, ceiling: float | None, mass: float | None) -> float:
        """Full scale of bar and plot: room above the ceiling, growing (never shrinking) with the force."""
        want = max(
            (ceiling or 0.0) * 1.2,
            (band[1] * 1.3) if band else 0.0,
            float(status.force_n) * 1.15 if status is not None and math.isfinite(status.force_n) else 0.0,
            100.0,
        )
        if want > self._scale_n:
            self._scale_n = math.ceil(want / 100.0) * 100.0
        return self._scale_n

    def _banner(self, text: str, level: str = "error") -> None:
        banner = self.w_banner
        banner.level = level
        banner.text = text

    def _ring(self) -> None:
        if self.bell_on:
            self.bell()

    # -- keys --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.DASHBOARD_ACTIONS and self.screen is not self.screen_stack[0]:
            return False  # the summary and the wizard have their own keys
        if action in self.PLAYBACK_ACTIONS:
            return self.source.playback is not None
        return True

    def action_group(self, step: int) -> None:
        marker = self.session.move_group(step)
        if marker is not None:
            self.w_log.write_line(describe_marker(marker) or "")
            self._dirty = True

    def action_unit(self) -> None:
        units = available_units(self.session.body_mass_kg)
        self.unit = units[(units.index(self.unit) + 1) % len(units)] if self.unit in units else units[0]
        self._dirty = True

    def action_toggle_bell(self) -> None:
        self.bell_on = not self.bell_on
        self.notify(f"Bell {'on' if self.bell_on else 'off'}", timeout=2)

    def action_pause(self) -> None:
        playback = self.source.playback
        if playback is not None:
            playback.set_paused(not playback.paused)
            self.w_header.link_state = "paused" if playback.paused else self.source.stats.state
            self._dirty = True

    def action_seek(self, delta_s: float) -> None:
        playback = self.source.playback
        if playback is not None:
            playback.seek(playback.position_s + float(delta_s))
            self._dirty = True

    def action_speed(self, step: int) -> None:
        playback = self.source.playback
        if playback is None:
            return
        current = self._fast_forward_from or playback.speed
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - current))
        self._fast_forward_from = None
        playback.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, i + int(step)))])
        self._dirty = True

    def action_next_hold(self) -> None:
        playback = self.source.playback
        if playback is not None and self._fast_forward_from is None:
            self._fast_forward_from = playback.speed
            if playback.paused:
                playback.set_paused(False)
            playback.set_speed(FAST_FORWARD_SPEED)
            self._dirty = True

    def action_calibrate(self) -> None:
        from smr_sense.tui.screens.calibrate import open_wizard

        open_wizard(self)

    async def action_quit(self) -> None:
        if self._ending:
            self.exit(0)
        else:
            await self.end_session()

    def action_exit_now(self) -> None:
        self.exit(0)

    # -- the end -----------------------------------------------------------------------------------

    async def end_session(self) -> None:
        """Stop acquiring, save the recording and the summary, show the summary. Runs once."""
        if self._ending:
            return
        self._ending = True
        if self._worker is not None and not self._worker.is_finished:
            self._worker.cancel()
            with suppress(WorkerCancelled, WorkerFailed):
                await self._worker.wait()
        self._dirty = True
        self._refresh_view()
        outcome = self.session.finish()
        if outcome.error:
            self._banner(outcome.error, "error")
        await self.push_screen(SummaryScreen(outcome.summary, tuple(str(p) for p in outcome.saved), outcome.error))


def make_app(
    source: Source,
    settings: Any = None,
    *,
    record_path: str | Path | None = None,
    summary_path: str | Path | None = None,
    display: DisplaySettings | None = None,
    started_at: str | None = None,
    profiles: Any = None,
) -> SmrDashboard:
    """The dashboard for ``source``. ``record_path`` records the session there; the summary goes beside
    it, or beside ``summary_path`` (the replayed file) when nothing is recorded."""
    if settings is None:
        from smr_sense.core.pipeline import SessionSettings

        settings = SessionSettings()
    session = DashboardSession(
        settings,
        record_path=Path(record_path) if record_path is not None else None,
        summary_path=Path(summary_path) if summary_path is not None else None,
        started_at=started_at,
    )
    return SmrDashboard(source, session, display or DisplaySettings(), profiles)

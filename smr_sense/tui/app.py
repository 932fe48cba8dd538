"""The dashboard app: one acquisition worker feeds the session, a fixed-rate refresh draws it.

Build it with :func:`make_app` so tests get the real app with a replay or simulated source. The
worker never asks what kind of source it holds: replay controls appear because ``source.playback``
is not None, and the alarm follows the pipeline's events in stream time, live or replayed alike.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from smr_sense.core import events as ev
from smr_sense.core.samples import Marker, SampleBlock
from smr_sense.errors import SmrError
from smr_sense.sources.base import Source
from smr_sense.tui.alerts import RECONNECTING, WARNING, HealthWatch
from smr_sense.tui.bindings import DASHBOARD_ACTIONS, DASHBOARD_BINDINGS, PLAYBACK_ACTIONS, SESSION_ACTIONS
from smr_sense.tui.messages import SessionEvents, SourceFault, StreamEnded, StreamMarker, StreamOpened
from smr_sense.tui.phrases import describe_event, describe_marker
from smr_sense.tui.replay_actions import ReplayActions
from smr_sense.tui.replay_keys import ReplayKeys
from smr_sense.tui.screens.keys import close_keys
from smr_sense.tui.screens.summary import SummaryScreen
from smr_sense.tui.session import DashboardSession
from smr_sense.tui.units import available_units
from smr_sense.tui.view import MIN_COLS, MIN_ROWS, DashboardView, DisplaySettings
from smr_sense.tui.widgets import (
    Banner,
    EventLog,
    ForcePlot,
    ForceReadout,
    HoldTimer,
    PlaybackBar,
    RoutinePanel,
    StateBadge,
    StatusHeader,
)

REFRESH_HZ = 15.0  # redraws per second at most, whatever the input rate (at most ~67 ms behind)
SLOW_REFRESH_S = 0.2  # the plot and the big number: 5 redraws a second (see view.py)
BELL_REPEAT_S = 5.0  # ring again every 5 s of stream time past the cap
EXIT_WATCHDOG_S = 5.0


class SmrDashboard(ReplayActions, App[int]):  # ReplayActions: space, ←→, +-, n
    CSS_PATH = "dashboard.tcss"
    TITLE = "smr-sense"
    ENABLE_COMMAND_PALETTE = False  # every action has a key: in the footer, all of them behind "?"
    AUTO_FOCUS = None  # nothing on the dashboard takes keys: the arrows belong to the routine and replay

    BINDINGS = DASHBOARD_BINDINGS

    def __init__(self, source: Source, session: DashboardSession, display: DisplaySettings) -> None:
        super().__init__()
        self.source = source
        self.session = session
        self.display_settings = display
        self.unit = display.unit
        self.bell_on = display.bell
        self._worker: Worker[None] | None = None
        self._dirty = True
        self._last_slow = 0.0
        self.health = HealthWatch()
        self._compact = False  # a terminal too small for the whole dashboard: state, timer, force only
        self._bells = 0
        self.replay = ReplayKeys(source.playback)
        self._ending = False
        self.stream_open = False
        self.fault: str | None = None  # the last fault sentence, for the command line after exit
        self.fatal: str | None = None  # the source could not be opened at all
        self.alarm_t_s: list[float] = []  # stream times at which RELEASE was raised (tests, log)
        # Whoever needs the raw blocks too (the calibration wizard) adds a callable here.
        self.sample_taps: list[Callable[[SampleBlock], None]] = []

    # -- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield Banner(id="banner")
        yield Static(id="size-note")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ForceReadout(id="readout")
                yield ForcePlot(id="plot")
                yield EventLog(id="log", max_lines=300, auto_scroll=True)
            with Vertical(id="right"):
                yield StateBadge(id="state")
                yield HoldTimer(id="timer")
                yield RoutinePanel(id="routine")
        yield PlaybackBar(id="playback")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        log = self.query_one("#log", EventLog)
        log.border_title = "Events"
        self.query_one("#plot", ForcePlot).border_title = f"Force, last {self.display_settings.plot_window_s:g} s"
        self.query_one(StatusHeader).source_text = self.source.spec
        self.query_one(HoldTimer).cap_s = self.session.hold_cap_s
        self.query_one("#playback").display = self.source.playback is not None
        # Widgets the handlers touch, found once (the view keeps its own for the redraws).
        self.w_header = self.query_one(StatusHeader)
        self.w_timer = self.query_one(HoldTimer)
        self.w_log = log
        self.w_banner = self.query_one(Banner)
        self.view = DashboardView(self, self.session, self.source, self.display_settings)
        self._worker = self._acquire()
        self._refresh_timer = self.set_interval(1.0 / REFRESH_HZ, self._refresh_view)
        # A closed terminal or a kill still ends the session cleanly (see _end_on_signal).
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._end_on_signal)

    # -- acquisition -------------------------------------------------------------------------------

    @work(exclusive=True, exit_on_error=False, group="acquisition", name="acquisition")
    async def _acquire(self) -> None:
        source, session = self.source, self.session
        try:
            info = await source.open()
            if source.playback is not None:  # first: the session's clock counts from the file's start
                session.file_start_s = source.playback.start_s
            session.start(info)
            self.post_message(StreamOpened(info))
            session.source_warnings = tuple(getattr(source, "warnings", None) or ())
            for warning in session.source_warnings:
                self.post_message(SourceFault(warning))
            async for item in source:
                if isinstance(item, Marker):
                    events = session.mark(item)
                    self.post_message(StreamMarker(item))
                else:
                    events = session.feed(item)
                    for tap in list(self.sample_taps):
                        tap(item)
                if events:
                    self.replay.after_events(events)
                    self.post_message(SessionEvents(tuple(events)))
                self._dirty = True
            self.post_message(StreamEnded())
        except asyncio.CancelledError:
            raise
        except SmrError as err:
            if session.info is None:
                # The roller never opened (no such port, no Bluetooth): nothing to show or save;
                # the command line says the sentence and exits non-zero.
                self.fatal = str(err)
                self.exit(return_code=2)
                return
            self.post_message(SourceFault(str(err)))
        except Exception as err:  # a bug must not become a traceback over the dashboard
            self.post_message(SourceFault(f"Unexpected error ({type(err).__name__}: {err}); what was recorded is kept."))
        finally:
            with suppress(Exception):
                await source.close()
            self._dirty = True

    # -- messages from the worker ------------------------------------------------------------------

    def on_stream_opened(self, message: StreamOpened) -> None:
        self.stream_open = True
        info = message.info
        header = self.w_header
        header.device_name = info.device_name
        if self.unit not in available_units(self.session.body_mass_kg):
            if self.unit == "%BW":  # asked for, and not shown: say why, where it stays in view
                self.w_log.write_line("Forces in N: % of body weight needs a body weight (--body-mass KG).")
            self.unit = "N"
        if self.session.writer is not None:
            self.w_log.write_recording(self.session.writer.path)
        self._dirty = True

    def on_session_events(self, message: SessionEvents) -> None:
        log = self.w_log
        for event in message.events:
            if isinstance(event, ev.HoldCapReached):
                close_keys(self)  # the alarm must not be behind the card
                self.alarm_t_s.append(event.t_s)
                self._bells = 0
                self._ring()
            line = describe_event(
                event, self.session.tracker, self.clock_origin_s(), self.unit, self.session.body_mass_kg
            )
            if line:
                log.write_line(line)
        self._dirty = True

    def on_stream_marker(self, message: StreamMarker) -> None:
        marker = message.marker
        if marker.kind == "disconnected":
            self._banner(RECONNECTING, WARNING)
        elif marker.kind == "reconnected":
            self._banner("")
        line = describe_marker(marker, self.clock_origin_s())
        if line and marker.kind == "seek":
            self.w_log.write_jump(line)
        elif line:
            self.w_log.write_line(line)

    def on_source_fault(self, message: SourceFault) -> None:
        self.fault = message.text
        self._banner(message.text, "error")

    async def on_stream_ended(self, message: StreamEnded) -> None:
        self.session.stream_ended = True
        await self.end_session()

    # -- drawing -----------------------------------------------------------------------------------

    def _refresh_view(self) -> None:
        if not self.is_running:
            return
        link = self.source.stats.state
        error = getattr(self.source, "last_error", None)
        for text, level in self.health.poll(self.session.problem, link, error, bool(self.w_banner.text)):
            self._banner(text, level)
        if self.health.link_changed:  # the link can change while no samples come (a drop)
            self._dirty = True
        cols, rows = self.size
        compact = cols < MIN_COLS or rows < MIN_ROWS
        if compact != self._compact:
            self._compact = compact
            self.screen_stack[0].set_class(compact, "-compact")
            self._dirty = True
        if not self._dirty:
            return
        now = time.monotonic()
        slow = now - self._last_slow >= SLOW_REFRESH_S or self._ending
        if slow:
            self._last_slow = now
        # The plot and the number still owe a frame when this one was not a slow one.
        self._dirty = not slow
        fast_forward = self.replay.fast_forwarding
        status = self.view.draw(self.unit, slow=slow, fast_forwarding=fast_forward)
        if compact:
            self.view.note_size(self.unit, cols, rows)
        if status is not None and status.capped and status.over_cap_s >= (self._bells + 1) * BELL_REPEAT_S:
            self._bells += 1
            self._ring()

    def clock_origin_s(self) -> float | None:
        """The event log's zero: the session's (a replay's file start, live the first sample)."""
        return self.session.origin_s

    def _banner(self, text: str, level: str = "error") -> None:
        banner = self.w_banner
        banner.level = level
        banner.text = text

    def _ring(self) -> None:
        if self.bell_on:
            self.bell()

    # -- keys --------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in DASHBOARD_ACTIONS and self.screen is not self.screen_stack[0]:
            # The summary and the wizard have their own keys; a wizard on a replay lends it the seek keys.
            return action in ("pause", "seek", "speed") and getattr(self.screen, "lends_playback_keys", False)
        if action in SESSION_ACTIONS and self._ending:
            return False  # back from the summary: the recording is closed, and a group change would be lost
        if action in PLAYBACK_ACTIONS:
            return self.source.playback is not None
        return True

    def action_group(self, step: int) -> None:
        marker = self.session.move_group(step)
        if marker is not None:
            self.w_log.write_line(describe_marker(marker, self.clock_origin_s()) or "")
            self._dirty = True

    def action_keys(self) -> None:
        from smr_sense.tui.screens.keys import open_keys

        open_keys(self)

    def action_unit(self) -> None:
        units = available_units(self.session.body_mass_kg)
        self.unit = units[(units.index(self.unit) + 1) % len(units)] if self.unit in units else units[0]
        self._dirty = True

    def action_toggle_bell(self) -> None:
        self.bell_on = not self.bell_on
        self.notify(f"Bell {'on' if self.bell_on else 'off'}", timeout=2)

    def apply_calibration(
        self, calibration: dict[str, Any] | None, body_mass_kg: float | None, ceiling_n: float | None, ceiling_pct_bw: float | None
    ) -> None:
        """What the wizard saved, in effect now: new calibration, body weight and ceiling."""
        settings = self.session.settings.replace(body_mass_kg=body_mass_kg, ceiling_n=ceiling_n, ceiling_pct_bw=ceiling_pct_bw)
        self.session.reconfigure(settings, calibration)
        self.view.scale_n = 0.0  # the ceiling may have moved: let the scale find its size again
        self.w_log.write_line(describe_marker(Marker(self.session.now_s, "calibration"), self.clock_origin_s()) or "")
        self._dirty = True

    def pause_for_calibration(self) -> None:
        """The wizard opened on a live roller: a hold in progress ends, and detection waits for the
        wizard to close. (A replay, e.g. of a recorded calibration bench, plays on as recorded.)"""
        if self.source.playback is None:
            self.post_message(SessionEvents(tuple(self.session.begin_calibration())))

    def resume_after_calibration(self) -> None:
        if self.source.playback is None:
            self.post_message(SessionEvents(tuple(self.session.end_calibration())))

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

    def _end_on_signal(self) -> None:
        """SIGTERM or SIGHUP (the terminal window was closed): save first, then leave. With the
        terminal gone, Textual's shutdown can wait forever on it, so a watchdog ends the process
        a few seconds later; by then the recording is closed and the summary written."""
        self.session.finish(self.source.stats)
        self.exit(0)
        watchdog = threading.Timer(EXIT_WATCHDOG_S, os._exit, (0,))
        watchdog.daemon = True
        watchdog.start()

    async def end_session(self) -> None:
        """Stop acquiring, save the recording and the summary, show the summary. Runs once."""
        if self._ending:
            return
        self._ending = True
        close_keys(self)
        if self._worker is not None and not self._worker.is_finished:
            self._worker.cancel()
            with suppress(WorkerCancelled, WorkerFailed):
                await self._worker.wait()
        outcome = self.session.finish(self.source.stats)
        # The finish closed a hold in progress (the summary counts it): the log says so, and the
        # last frame, to come back to with Esc, shows the session ended, not a hold still timed.
        self.on_session_events(SessionEvents(outcome.events))
        self._refresh_view()
        if outcome.error:
            self._banner(outcome.error, "error")
        await self.push_screen(
            SummaryScreen(
                outcome.summary, tuple(str(p) for p in outcome.saved), outcome.error, outcome.note, outcome.warnings,
                unit=self.unit,
            )
        )


def make_app(
    source: Source,
    settings: Any = None,
    *,
    record_path: str | Path | None = None,
    summary_path: str | Path | None = None,
    display: DisplaySettings | None = None,
    started_at: str | None = None,
    apply_profile: bool = False,
    calibration: dict[str, Any] | None = None,
    replace_existing: bool = False,
    force_from_s: float | None = None,
    rename: Callable[[Path], Path] | None = None,
) -> SmrDashboard:
    """The dashboard for ``source``. ``record_path`` records the session there; the summary goes beside
    it, or beside ``summary_path`` (the replayed file) when nothing is recorded. ``apply_profile``
    puts the roller's saved calibration profile in effect (live), instead of the stream's own (replay);
    ``calibration`` overrides both (replaying an old session under a newer calibration).
    ``replace_existing`` (--force) lets a replay replace a summary already beside the file, and a
    live session the recording and summaries already at ``record_path``. ``force_from_s``: the
    replayed file has no force before then (see ``recording.csv_export.unmeasured_until``). ``rename``:
    the app chose ``record_path``, and may record under another free name if it is taken meanwhile."""
    if settings is None:
        from smr_sense.core.pipeline import SessionSettings

        settings = SessionSettings()
    session = DashboardSession(
        settings,
        record_path=Path(record_path) if record_path is not None else None,
        summary_path=Path(summary_path) if summary_path is not None else None,
        started_at=started_at,
        apply_profile=apply_profile,
        calibration=calibration,
        replace_existing=replace_existing,
        force_from_s=force_from_s,
        rename=rename,
    )
    return SmrDashboard(source, session, display or DisplaySettings())

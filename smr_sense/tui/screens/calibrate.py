"""The calibration wizard: zero, known weights (fit and residuals), body weight, pressure ceiling.

It drives the signal core's :class:`~smr_sense.core.calibrate_steps.CalibrationProcedure` with the live
samples (the app hands each block to ``app.sample_taps``) and only shows what the core decides:
when a reading is steady enough to measure (the core's own checks are tried on the last second),
what the fit is and how far off each known weight lands. Nothing is written until the last step;
Escape at any step leaves the saved profile and the running session as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static

from smr_sense.core import calibrate as fit
from smr_sense.core.calibrate import CalibrationFitError, RollerLoaded, measure_point, measure_tare
from smr_sense.core.calibrate_steps import CalibrationProcedure, Step
from smr_sense.core.samples import SampleBlock
from smr_sense.core.settings import BODY_MASS_RANGE_KG
from smr_sense.core.words import as_sentence, clock
from smr_sense.emulator.roller import NO_WEIGHTS_ADVICE, is_emulated
from smr_sense.errors import SmrError
from smr_sense.sources.base import SourceError
from smr_sense.tui.phrases import review_lines, saved_message
from smr_sense.tui.screens.live_window import LiveWindow, readings
from smr_sense.tui.units import parse_ceiling
from smr_sense.tui.widgets.answer_box import AnswerBox

if TYPE_CHECKING:
    from smr_sense.tui.app import SmrDashboard

STEADY_WINDOW_S = 1.0  # the last second must pass the core's steadiness checks before measuring
PHASE_NAMES = {"weights": "Known weights", "fit": "Fit", "body": "Body weight", "ceiling": "Pressure ceiling"}


class CalibrationWizard(Screen[bool]):
    BINDINGS = [
        # Not a priority binding: keys typed just before Enter (a paste, a fast typist) must reach the
        # box first; with the box focused its own Enter submits it (on_input_submitted), in order.
        Binding("enter", "next", "Next"),
        Binding("escape", "cancel", "Cancel (change nothing)"),
        Binding("e", "assume_empty", "It is empty: zero it"),  # shown after a zero refused as loaded
    ]

    def __init__(self, app: SmrDashboard) -> None:
        super().__init__()
        self.dash = app
        self.info = app.session.info
        # A replay cannot be loaded: its steps are measured where the recording (of a calibration
        # bench, say) already holds them, found with the replay's own pause and seek keys.
        self.playback = app.source.playback
        self.proc: CalibrationProcedure | None = None
        self.phase = "weights"  # weights | step | fit | body | ceiling | review
        self.step_state = "ready"  # ready | steady | measuring
        self.calibration = None
        self.report = None
        self.body_mass_kg = app.session.body_mass_kg
        self.ceiling: tuple[float | None, float | None] = (app.session.settings.ceiling_n, app.session.settings.ceiling_pct_bw)
        self.results: list[str] = []
        self.message = ""
        self.loaded = False  # the zero is refused as loaded: the person may say the roller is empty
        self._live = LiveWindow(self.info.n_channels if self.info else 0)
        self._measure_from_s = 0.0
        self._weighing_n = 3  # steps to zero and weigh: the zero and the suggested 5 and 10 kg
        self.counted = [c for c in self.info.channels if c.unit == "count"] if self.info else []

    # -- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="wizard"):
            yield Static("", id="wizard-title")
            yield Static("", id="wizard-prompt")
            yield AnswerBox(id="wizard-input", select_on_focus=False)
            yield Static("", id="wizard-live")
            yield ProgressBar(total=100, show_eta=False, id="wizard-progress")
            yield Static("", id="wizard-results")
            yield Static("", id="wizard-message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.dash.pause_for_calibration()
        self.dash.sample_taps.append(self._on_block)
        self.set_interval(0.2, self._show_live)
        if self.counted and is_emulated(self.info.device_id):
            # As `smr-sense calibrate` refuses it: its simulated person keeps rolling, so every zero
            # would be refused as unsteady, again and again.
            self.counted = []
            self.results.append(as_sentence(NO_WEIGHTS_ADVICE) + ".")
            self.phase = "body"
        elif not self.counted:
            self.results.append(
                "This roller already reports force in N or kg and keeps its own zero: there is no span to fit "
                "(smr-sense calibrate --zero asks it to re-zero)."
            )
            self.phase = "body"
        self._enter_phase()

    def on_unmount(self) -> None:
        if self._on_block in self.dash.sample_taps:
            self.dash.sample_taps.remove(self._on_block)

    # -- the steps ---------------------------------------------------------------------------------

    def _enter_phase(self) -> None:
        title = self.query_one("#wizard-title", Static)
        prompt = self.query_one("#wizard-prompt", Static)
        box = self.query_one("#wizard-input", Input)
        box.display = self.phase in ("weights", "body", "ceiling")
        self.query_one("#wizard-progress", ProgressBar).display = self.phase == "step"
        title.update(self._title())
        if self.phase == "weights":
            prompt.update("Which known weights will you put on the roller (kg, comma-separated)? Enter to go on.")
            box.value = "5, 10"
        elif self.phase == "step":
            assert self.proc is not None and self.proc.current is not None
            prompt.update(self._step_prompt(self.proc.current))
        elif self.phase == "fit":
            prompt.update("Known against fitted force for each weight. Enter to go on, Escape to cancel.")
        elif self.phase == "body":
            prompt.update("Your body weight in kg, for forces in % of body weight (empty: skip).")
            box.value = f"{self.body_mass_kg:g}" if self.body_mass_kg else ""
        elif self.phase == "ceiling":
            prompt.update(
                "The most pressure you want, in N or as % of body weight (e.g. 400 or 50%): it should hurt, "
                "never unbearably. Empty: no ceiling."
            )
            n, pct = self.ceiling
            box.value = f"{pct:g}%" if pct else f"{n:g}" if n else ""
        elif self.phase == "review":
            prompt.update("Enter saves the profile and your settings and puts them to use. Escape cancels.")
            if self.playback is not None and self.calibration is not None:
                # Measured from a recording (a recorded bench), it is still the roller's one profile.
                prompt.update(
                    f"Enter saves this as the profile of {self.info.device_name} ({self.info.device_id}), used "
                    "whenever that roller connects, and your settings. Escape cancels."
                )
        if box.display:
            box.focus()
            box.cursor_position = len(box.value)  # typing goes after the suggestion, Backspace edits it
        self.app.refresh_bindings()  # the footer shows the replay's keys only while a step needs them
        self._show_results()

    def _step_prompt(self, step: Step) -> str:
        if self.playback is None:
            return f"{step.prompt}. Press Enter when it is in place."
        what = "nothing on the roller, held still" if step.kind == "tare" else f"{step.load_kg:g} kg on the roller"
        if step.channel:
            what += f" right above {step.channel}"
        return f"Replay: find where the recording has {what} (space pauses, ←→ seek), then press Enter."

    @property
    def lends_playback_keys(self) -> bool:
        """Pause, seek and speed reach the replay while a step looks for its stretch of the recording
        (no answer box is open then to take those keys as typing)."""
        return self.playback is not None and self.phase == "step"

    def _title(self) -> str:
        """"Calibration 3/7 · Weight 1 of 2": this step among all of them. How many there are
        follows the weights (and the channels) the first step asks for; the last screen, which
        only saves, is not counted."""
        if self.phase == "review":
            return "Calibration · Save"
        weighing = self._weighing()
        p = PHASE_NAMES
        steps = ([p["weights"], *weighing, p["fit"]] if self.counted else []) + [p["body"], p["ceiling"]]
        if self.phase == "step":
            assert self.proc is not None
            name = weighing[next(i for i, step in enumerate(self.proc.steps) if step is self.proc.current)]
        else:
            name = PHASE_NAMES[self.phase]
        return f"Calibration {steps.index(name) + 1}/{len(steps)} · {name}"

    def _weighing(self) -> list[str]:
        """The zero and each weight, as the core's procedure lays them out; while the weights are
        still being typed, for the ones in the box (the last that made sense)."""
        if self.proc is not None:
            self._weighing_n = len(self.proc.steps)
        elif self.phase == "weights" and self.counted:
            try:
                weights = fit.parse_known_weights(self.query_one("#wizard-input", Input).value)
                self._weighing_n = len(CalibrationProcedure(self.info, weights).steps)
            except CalibrationFitError:
                pass
        n = self._weighing_n
        return ["Zero", *(f"Weight {i} of {n - 1}" for i in range(1, n))]

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.phase == "weights":
            self.query_one("#wizard-title", Static).update(self._title())

    def action_next(self) -> None:
        self.message = ""
        try:
            if self.phase == "weights":
                weights = fit.parse_known_weights(self.query_one("#wizard-input", Input).value)
                self.proc = CalibrationProcedure(self.info, weights)
                self.phase = "step"
            elif self.phase == "step":
                if self.step_state == "ready":  # Enter again while measuring changes nothing
                    self.step_state = "steady"
                    self._move_weights()
                    self.message = "Waiting for a steady reading…"
                self._show_results()
                return
            elif self.phase == "fit":
                self.phase = "body"
            elif self.phase == "body":
                text = self.query_one("#wizard-input", Input).value.strip()
                mass = float(text) if text else None
                low, high = BODY_MASS_RANGE_KG
                if mass is not None and not low <= mass <= high:
                    raise CalibrationFitError(f"{mass:g} kg is not a body weight between {low:g} and {high:g} kg")
                self.body_mass_kg = mass
                self.phase = "ceiling"
            elif self.phase == "ceiling":
                self.ceiling = parse_ceiling(self.query_one("#wizard-input", Input).value, self.body_mass_kg)
                if self.ceiling[1] is not None and not self.body_mass_kg:
                    raise CalibrationFitError("a ceiling in % of body weight needs your body weight; give it in N instead")
                self.phase = "review"
            elif self.phase == "review":
                self._save()
                return
        except ValueError:
            self.message = "That is not a number."
        except SmrError as err:
            self.message = str(err)
        if self.message:  # refused: the answer stays in the box to be mended, not replaced
            self._show_results()
            return
        self._enter_phase()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.loaded if action == "assume_empty" else True

    def action_assume_empty(self) -> None:
        """Only the person at the roller knows it is empty: then the load the old zero reads is drift."""
        if self.proc is not None and self.loaded:
            self.proc.assume_empty = True
            self._offer_empty(False)
            self.message = "Zeroing the roller as it is…"
            self._show_results()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def action_cancel(self) -> None:
        self.dash.notify("Calibration cancelled: nothing was changed.", timeout=4)
        self.dash.resume_after_calibration()
        self._send_to_bench("resume", {})
        self.dismiss(False)

    def _move_weights(self) -> None:
        """A bench that places weights itself (a simulator) is told to; a real roller refuses."""
        assert self.proc is not None and self.proc.current is not None
        step = self.proc.current
        name, args = ("remove_weights", {}) if step.kind == "tare" else ("place_weight", {"kg": step.load_kg, "channel": step.channel})
        self._send_to_bench(name, args)

    def _send_to_bench(self, name: str, args: dict) -> None:
        source = self.dash.source

        async def send() -> None:
            try:
                await source.command(name, **args)
            except SourceError:
                pass  # a real roller: the user places the weight

        self.dash.run_worker(send(), exit_on_error=False, name="calibration-command")

    # -- samples -----------------------------------------------------------------------------------

    def _on_block(self, block: SampleBlock) -> None:
        """Called by the acquisition worker for every block while the wizard is open."""
        if not len(block):
            return
        if self._live.add(block) and self.step_state == "measuring":
            self.step_state = "steady"  # time went back (a replay seek): the measurement starts afresh
        if self.phase != "step" or self.proc is None or self.proc.current is None:
            return
        if self.step_state == "steady" and self._steady():
            self._measure_from_s = float(block.t_s[-1]) + self.proc.settle_s
            self.proc.start(float(block.t_s[-1]))
            self.step_state = "measuring"
            self.message = "Measuring…"
        elif self.step_state == "measuring" and self.proc.feed(block):
            self._complete_step()

    def _steady(self) -> bool:
        """The core's own checks on the last second: unloaded-and-still for the zero, steady for a weight."""
        assert self.proc is not None and self.proc.current is not None
        recent = self._live.recent(STEADY_WINDOW_S)
        if recent is None or len(recent) < 3 or recent.t_s[-1] - recent.t_s[0] < 0.95 * STEADY_WINDOW_S:
            return False
        step = self.proc.current
        try:
            if step.kind == "tare":
                measure_tare(self.info, recent, self.proc.assume_empty)
            else:
                measure_point(self.info, recent, float(step.load_kg or 0.0), step.channel)
        except CalibrationFitError as err:
            self.message = f"Waiting for a steady reading: {self._refusal(err)}"
            if isinstance(err, RollerLoaded):
                # Read through the old zero: a remounted load cell reads tens of newtons unloaded.
                self.message += ". If nothing is on it, its zero has moved since it was calibrated: press e to zero it as it is."
            self._offer_empty(isinstance(err, RollerLoaded))
            return False
        self._offer_empty(False)
        return True

    def _offer_empty(self, loaded: bool) -> None:
        """The e key (the roller is empty: zero it as it is) is in the footer while the zero is refused as loaded."""
        if loaded != self.loaded:
            self.loaded = loaded
            self.refresh_bindings()

    def _refusal(self, err: CalibrationFitError) -> str:
        """The core's "what is wrong; what to do", with what to do in a replay: nobody can take a
        weight off a recording, only seek to where it had none."""
        if self.playback and err.advice is not None:
            return f"{err.what} here in the recording; seek (←→) to another stretch"
        return str(err)

    def _complete_step(self) -> None:
        assert self.proc is not None
        self.step_state = "ready"
        try:
            result = self.proc.complete()
        except CalibrationFitError as err:
            again = "Escape, then calibrate again with heavier weights" if isinstance(err, fit.TooLight) else "Enter to try this step again"
            self.message = f"{self._refusal(err)} ({again})"
            self._enter_phase()
            return
        self.results.append(result.describe())
        self.message = ""
        if self.proc.current is None:
            try:
                self.calibration, self.report = self.proc.result()
            except CalibrationFitError as err:
                self.message = f"{err} (Escape, then start the calibration again)"
                self.phase = "fit"
                self._enter_phase()
                return
            self.results.append("Fit:")
            self.results.extend(f"  {line}" for line in self.report.describe(self.calibration))
            self.phase = "fit"
        self._enter_phase()

    # -- showing -----------------------------------------------------------------------------------

    def _show_live(self) -> None:
        recent = self._live.recent(1.0)
        live = self.query_one("#wizard-live", Static)
        at = ""
        paused = self.playback is not None and self.playback.paused
        if self.playback is not None:  # where a seek landed shows at once, even while paused
            at = f"{clock(int(self.playback.position_s - self.playback.start_s))} into the recording"
            at = f"paused at {at}" if paused else at
        if paused and recent is not None and abs(self.playback.position_s - float(recent.t_s[-1])) > 0.5:
            recent = None  # a seek while paused: the last reading is from somewhere else
        if recent is None or len(recent) < 2:
            live.update(f"The replay is {at}: space plays it." if paused else "Waiting for samples from the roller…")
        else:
            live.update((f"Now ({at}): " if at else "Now: ") + readings(recent, self.info.channels))
        bar = self.query_one("#wizard-progress", ProgressBar)
        if self.phase == "step" and self.proc is not None and self.step_state == "measuring" and recent is not None:
            got = float(recent.t_s[-1]) - self._measure_from_s
            bar.update(progress=min(100.0, max(0.0, 100.0 * got / self.proc.duration_s)))
        else:
            bar.update(progress=0)
        self._show_results()

    def _show_results(self) -> None:
        lines = list(self.results)
        if self.phase == "review":
            lines += review_lines(self.body_mass_kg, self.ceiling)
        self.query_one("#wizard-results", Static).update("\n".join(lines))
        message = self.message
        if self.playback is not None and self.playback.paused and self.phase == "step" and self.step_state != "ready":
            # Nothing is measured while no samples come: it would wait at 0 % without saying why.
            message = f"{message} The replay is paused: space plays it.".strip()
        self.query_one("#wizard-message", Static).update(message)

    # -- the end -----------------------------------------------------------------------------------

    def _save(self) -> None:
        from smr_sense.profiles import Profile, save_profile
        from smr_sense.tui.user_settings import UserSettings, save_user_settings

        saved = []
        if self.calibration is not None and self.report is not None:
            saved.append(
                save_profile(
                    Profile(
                        self.info.device_id,
                        self.info.device_name,
                        self.calibration.to_json(),
                        residuals_n=tuple(r.residual_n for r in self.report.residuals),
                        noise_n=tuple(self.report.noise_n),
                    )
                )
            )
        n, pct = self.ceiling
        saved.append(save_user_settings(UserSettings(self.body_mass_kg, n, pct)))
        self.dash.apply_calibration(
            self.calibration.to_json() if self.calibration is not None else None, self.body_mass_kg, n, pct
        )
        self.dash.notify(saved_message(saved, self.dash.size.width), timeout=6, markup=False)
        self._send_to_bench("resume", {})
        self.dismiss(True)


def open_wizard(app: SmrDashboard) -> None:
    if app.session.info is None:
        app.notify("The roller is not streaming yet: nothing to calibrate.", severity="warning")
        return
    app.push_screen(CalibrationWizard(app))


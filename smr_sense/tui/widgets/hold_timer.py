"""The hold countdown: a bar that empties over the cap (20 s), turns colour at the warning and
becomes a RELEASE alarm at the cap, counting the seconds over it. Colours come from the .tcss
classes -holding, -warning, -capped; the widget only knows times."""

from __future__ import annotations

import math

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from smr_sense.tui.widgets._styles import CachedComponentStyles


class HoldTimer(CachedComponentStyles, Widget):
    COMPONENT_CLASSES = {"holdtimer--left", "holdtimer--gone"}

    active: reactive[bool] = reactive(False)
    elapsed_s: reactive[float] = reactive(0.0)
    cap_s: reactive[float] = reactive(20.0)
    warning: reactive[bool] = reactive(False)
    capped: reactive[bool] = reactive(False)
    over_cap_s: reactive[float] = reactive(0.0)
    # The link is down: the time held is where the samples stopped, and how it went on is not known.
    no_signal: reactive[bool] = reactive(False)

    def _phase(self) -> str:
        if not self.active:
            return "idle"
        if self.capped:
            return "capped"
        return "warning" if self.warning else "holding"

    def _sync_phase(self) -> None:
        self.set_classes(f"-{self._phase()}")

    def watch_active(self) -> None:
        self._sync_phase()

    def watch_warning(self) -> None:
        self._sync_phase()

    def watch_capped(self) -> None:
        self._sync_phase()

    def render(self) -> Text:
        phase = self._phase()
        width = max(self.size.width, 10)
        if phase == "idle":
            return Text(f"Hold timer  {self.cap_s:g} s cap\n" + "·" * width, no_wrap=True, overflow="crop")
        if phase == "capped":
            word = "RELEASE NOW"
            return Text(
                f"{word}\n+{int(self.over_cap_s)} s over the {self.cap_s:g} s cap",
                justify="center",
                no_wrap=True,
                overflow="crop",
            )
        if self.no_signal:
            # Not "16 s left" for as long as the outage lasts: the countdown waits for the samples.
            return Text(
                f"HOLD {int(self.elapsed_s):2d} s   no signal\n" + "╌" * width, no_wrap=True, overflow="crop",
                style=self.component_style("holdtimer--gone"),
            )
        left_s = max(self.cap_s - self.elapsed_s, 0.0)
        # Whole seconds, like a kitchen timer: held for floor(elapsed), ceil(left) to go.
        head = f"HOLD {int(self.elapsed_s):2d} s   {math.ceil(left_s):2d} s left"
        filled = int(round(width * left_s / self.cap_s)) if self.cap_s > 0 else 0
        text = Text(head + "\n", no_wrap=True, overflow="crop")
        text.append("█" * filled, self.component_style("holdtimer--left"))
        text.append("━" * (width - filled), self.component_style("holdtimer--gone"))
        return text

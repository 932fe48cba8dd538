"""The hold countdown: a bar that empties over the cap (20 s), turns colour at the warning and
becomes a RELEASE alarm at the cap, counting the seconds over it. Colours come from the .tcss
classes -holding, -warning, -capped; the widget only knows times."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class HoldTimer(Widget):
    COMPONENT_CLASSES = {"holdtimer--left", "holdtimer--gone"}

    active: reactive[bool] = reactive(False)
    elapsed_s: reactive[float] = reactive(0.0)
    cap_s: reactive[float] = reactive(20.0)
    warning: reactive[bool] = reactive(False)
    capped: reactive[bool] = reactive(False)
    over_cap_s: reactive[float] = reactive(0.0)

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
                f"{word}\n+{self.over_cap_s:.1f} s over the {self.cap_s:g} s cap",
                justify="center",
                no_wrap=True,
                overflow="crop",
            )
        left_s = max(self.cap_s - self.elapsed_s, 0.0)
        head = f"HOLD {self.elapsed_s:4.1f} s   {left_s:4.1f} s left"
        filled = int(round(width * left_s / self.cap_s)) if self.cap_s > 0 else 0
        text = Text(head + "\n", no_wrap=True, overflow="crop")
        text.append("█" * filled, self.get_component_rich_style("holdtimer--left"))
        text.append("━" * (width - filled), self.get_component_rich_style("holdtimer--gone"))
        return text

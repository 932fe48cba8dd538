"""The big force number and the bar under it, marking the target band and the pressure ceiling."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Label

from smr_sense.tui.units import UNIT_LABELS, convert, format_force


class ForceBar(Widget):
    """One line: the force as a filled bar, the target band shaded, the ceiling as a red post."""

    COMPONENT_CLASSES = {"forcebar--fill", "forcebar--band", "forcebar--fill-band", "forcebar--over", "forcebar--ceiling"}

    force_n: reactive[float] = reactive(0.0)
    scale_n: reactive[float] = reactive(600.0)
    band_n: reactive[tuple[float, float] | None] = reactive(None)
    ceiling_n: reactive[float | None] = reactive(None)

    def render(self) -> Text:
        width = max(self.size.width, 1)
        scale = max(self.scale_n, 1.0)

        def col(force_n: float) -> int:
            return int(round(min(max(force_n / scale, 0.0), 1.0) * width))

        fill = col(self.force_n)
        over = self.ceiling_n is not None and self.force_n > self.ceiling_n
        band = (col(self.band_n[0]), col(self.band_n[1])) if self.band_n else (-1, -1)
        ceiling = min(col(self.ceiling_n), width - 1) if self.ceiling_n is not None else -1
        styles = {
            name: self.get_component_rich_style(f"forcebar--{name}")
            for name in ("fill", "band", "fill-band", "over", "ceiling")
        }
        text = Text(no_wrap=True, overflow="crop")
        for x in range(width):
            in_band = band[0] <= x < band[1]
            if x == ceiling:
                text.append("┃", styles["ceiling"])
            elif x < fill:
                text.append("█", styles["over"] if over else styles["fill-band"] if in_band else styles["fill"])
            else:
                text.append("░" if in_band else " ", styles["band"])
        return text


class ForceReadout(Vertical):
    """The force, large, in N, kg or % body weight."""

    force_n: reactive[float | None] = reactive(None)
    unit: reactive[str] = reactive("N")
    body_mass_kg: reactive[float | None] = reactive(None)
    scale_n: reactive[float] = reactive(600.0)
    band_n: reactive[tuple[float, float] | None] = reactive(None)
    ceiling_n: reactive[float | None] = reactive(None)

    def compose(self) -> ComposeResult:
        with Horizontal(id="force-row"):
            yield Digits("--", id="force-digits")
            yield Label("N", id="force-unit")
        yield ForceBar(id="force-bar")
        yield Label("", id="force-scale")

    def _show(self) -> None:
        self.query_one(Digits).update(format_force(self.force_n, self.unit, self.body_mass_kg))
        self.query_one("#force-unit", Label).update(UNIT_LABELS.get(self.unit, self.unit))
        bar = self.query_one(ForceBar)
        bar.force_n = self.force_n or 0.0
        over = self.ceiling_n is not None and self.force_n is not None and self.force_n > self.ceiling_n
        self.set_class(over, "-over-ceiling")

    def _show_scale(self) -> None:
        bar = self.query_one(ForceBar)
        bar.scale_n, bar.band_n, bar.ceiling_n = self.scale_n, self.band_n, self.ceiling_n
        parts = []
        if self.band_n:
            lo, hi = (convert(f, self.unit, self.body_mass_kg) for f in self.band_n)
            parts.append(f"░ target {lo:.0f}-{hi:.0f}")
        if self.ceiling_n is not None:
            parts.append(f"┃ ceiling {convert(self.ceiling_n, self.unit, self.body_mass_kg):.0f}")
        self.query_one("#force-scale", Label).update("   ".join(parts))

    def watch_force_n(self) -> None:
        self._show()

    def watch_unit(self) -> None:
        self._show()
        self._show_scale()

    def watch_body_mass_kg(self) -> None:
        self._show()
        self._show_scale()

    def watch_scale_n(self) -> None:
        self._show_scale()

    def watch_band_n(self) -> None:
        self._show_scale()

    def watch_ceiling_n(self) -> None:
        self._show()
        self._show_scale()

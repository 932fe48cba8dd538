"""The big force number and the bar under it, marking the target band and the pressure ceiling."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Label

from smr_sense.tui.units import UNIT_LABELS, format_force
from smr_sense.tui.widgets._styles import CachedComponentStyles


class ForceBar(CachedComponentStyles, Widget):
    """One line: the force as a filled bar, the target band shaded, the ceiling as a red post."""

    COMPONENT_CLASSES = {"forcebar--fill", "forcebar--band", "forcebar--fill-band", "forcebar--over", "forcebar--ceiling"}

    force_n: reactive[float] = reactive(0.0, repaint=False)  # repaints only when a cell changes
    scale_n: reactive[float] = reactive(600.0)
    band_n: reactive[tuple[float, float] | None] = reactive(None)
    ceiling_n: reactive[float | None] = reactive(None)

    _drawn: tuple[int, bool] | None = None

    def _col(self, force_n: float) -> int:
        scale = max(self.scale_n, 1.0)
        return int(round(min(max(force_n / scale, 0.0), 1.0) * max(self.size.width, 1)))

    def _look(self) -> tuple[int, bool]:
        return self._col(self.force_n), self.ceiling_n is not None and self.force_n > self.ceiling_n

    def watch_force_n(self) -> None:
        if self._look() != self._drawn:
            self.refresh()

    def render(self) -> Text:
        width = max(self.size.width, 1)
        col = self._col
        fill, over = self._drawn = self._look()
        band = (col(self.band_n[0]), col(self.band_n[1])) if self.band_n else (-1, -1)
        ceiling = min(col(self.ceiling_n), width - 1) if self.ceiling_n is not None else -1
        cells: list[tuple[str, str]] = []
        for x in range(width):
            in_band = band[0] <= x < band[1]
            if x == ceiling:
                cells.append(("┃", "ceiling"))
            elif x < fill:
                cells.append(("█", "over" if over else "fill-band" if in_band else "fill"))
            else:
                cells.append(("░" if in_band else " ", "band"))
        text = Text(no_wrap=True, overflow="crop")
        start = 0
        for x in range(1, width + 1):  # one span per run of equal style
            if x == width or cells[x][1] != cells[start][1]:
                text.append("".join(ch for ch, _ in cells[start:x]), self.component_style(f"forcebar--{cells[start][1]}"))
                start = x
        return text


class FixedDigits(Digits):
    """Digits in a box of fixed width (set in the .tcss): a new value repaints, never re-lays out the screen."""

    def update(self, value: str) -> None:
        if value != self.value:
            self._value = value
            self.refresh()


class ForceReadout(Vertical):
    """The force, large, in N, kg or % body weight. The bar follows ``force_n`` at the screen's rate;
    the number follows ``number_n``, which the app updates a few times a second, as a meter does,
    because a number changing faster than that cannot be read."""

    force_n: reactive[float | None] = reactive(None, repaint=False)
    number_n: reactive[float | None] = reactive(None, repaint=False)
    unit: reactive[str] = reactive("N", repaint=False)
    body_mass_kg: reactive[float | None] = reactive(None, repaint=False)
    scale_n: reactive[float] = reactive(600.0, repaint=False)
    band_n: reactive[tuple[float, float] | None] = reactive(None, repaint=False)
    ceiling_n: reactive[float | None] = reactive(None, repaint=False)

    def compose(self) -> ComposeResult:
        with Horizontal(id="force-row"):
            yield FixedDigits("--", id="force-digits")
            yield Label("N", id="force-unit")
        yield ForceBar(id="force-bar")
        yield Label("", id="force-scale")

    def _show_number(self) -> None:
        self.query_one(Digits).update(format_force(self.number_n, self.unit, self.body_mass_kg))

    def _show_unit(self) -> None:
        self.query_one("#force-unit", Label).update(UNIT_LABELS.get(self.unit, self.unit), layout=False)

    def _show(self) -> None:
        bar = self.query_one(ForceBar)
        bar.force_n = self.force_n or 0.0
        over = self.ceiling_n is not None and self.force_n is not None and self.force_n > self.ceiling_n
        self.set_class(over, "-over-ceiling")

    def _show_scale(self) -> None:
        bar = self.query_one(ForceBar)
        bar.scale_n, bar.band_n, bar.ceiling_n = self.scale_n, self.band_n, self.ceiling_n
        parts = []
        # Rounded as the big number and the event log round them: a ceiling of 25.5 kg just above a
        # band from 24.6 kg read "target 25-25 ┃ ceiling 25" here and "25.5 kg" in the log.
        if self.band_n:
            lo, hi = (format_force(f, self.unit, self.body_mass_kg) for f in self.band_n)
            parts.append(f"░ target {lo}-{hi}")
        if self.ceiling_n is not None:
            parts.append(f"┃ ceiling {format_force(self.ceiling_n, self.unit, self.body_mass_kg)}")
        self.query_one("#force-scale", Label).update("   ".join(parts), layout=False)

    def watch_force_n(self) -> None:
        self._show()

    def watch_number_n(self) -> None:
        self._show_number()

    def watch_unit(self) -> None:
        self._show_unit()
        self._show_number()
        self._show_scale()

    def watch_body_mass_kg(self) -> None:
        self._show_number()
        self._show_scale()

    def watch_scale_n(self) -> None:
        self._show_scale()

    def watch_band_n(self) -> None:
        self._show_scale()

    def watch_ceiling_n(self) -> None:
        self._show()
        self._show_scale()

"""The bottom-up routine: every muscle group with its holds and rolling time, the current one lit."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from smr_sense.core.words import mmss
from smr_sense.report import visited
from smr_sense.routine import worked
from smr_sense.tui.widgets._styles import CachedComponentStyles


@dataclass(frozen=True)
class RoutineRow:
    label: str
    holds: int
    caps: int
    # Whole seconds, rounded as the summary rounds them: the panel redraws when a second ticks,
    # not every frame.
    rolling_s: int


def shown_rows(n: int, current: int, height: int) -> range:
    """The rows that fit in ``height`` lines: all of them when they fit, else a window that keeps the
    current group in sight, with the next one (where ↓ goes) below it when there is room."""
    if n <= height or height <= 0:  # 0: not laid out yet
        return range(n)
    first = max(0, min(current + 2 - height, n - height, current))
    return range(first, first + height)


class RoutinePanel(CachedComponentStyles, Widget):
    COMPONENT_CLASSES = {"routine--current", "routine--done", "routine--todo", "routine--cap", "routine--advice"}
    BORDER_TITLE = "Routine, bottom up"
    LEGEND = "h holds, ! capped"

    rows: reactive[tuple[RoutineRow, ...]] = reactive(tuple)
    current: reactive[int] = reactive(0)
    advice: reactive[str] = reactive("")

    def _mark_hidden(self) -> None:
        """When the list scrolls, its border says how many groups are out of sight, above and below."""
        shown = shown_rows(len(self.rows), self.current, self.size.height)
        above, below = shown.start, len(self.rows) - shown.stop
        title = self.BORDER_TITLE + (f" ▲ {above} more" if above else "")
        # The row marks explained where they appear: "3h 1!" is three holds, one of them capped.
        legend = self.LEGEND if any(row.holds for row in self.rows) else ""
        subtitle = " · ".join(part for part in (f"▼ {below} more" if below else "", legend) if part)
        if (self.border_title, self.border_subtitle or "") != (title, subtitle):  # a new border is a redraw
            self.border_title, self.border_subtitle = title, subtitle

    def watch_rows(self) -> None:
        self._mark_hidden()

    def watch_current(self) -> None:
        self._mark_hidden()

    def on_resize(self) -> None:
        self._mark_hidden()

    def render(self) -> Text:
        width = max(self.size.width, 20)
        text = Text(no_wrap=True, overflow="ellipsis")
        shown = shown_rows(len(self.rows), self.current, self.size.height)
        cells = {i: self._cells(self.rows[i]) for i in shown}
        # Columns as wide as their widest entry (a long session runs to "144h 62! 1:05:40"); the
        # name gets the rest, and gives way first.
        least = (3, 3, 5)
        holds_w, caps_w, rolling_w = (max([least[k], *(len(c[k]) for c in cells.values())]) for k in range(3))
        name_w = max(8, width - 7 - holds_w - caps_w - rolling_w)
        # Nine groups do not fit a short terminal (60x18 shows six): the list scrolls to the current
        # one, and the advice under it gets whatever lines are left.
        for i in shown:
            row = self.rows[i]
            done = worked(row.holds, row.rolling_s)
            style = self.component_style(
                "routine--current" if i == self.current else "routine--done" if done else "routine--todo"
            )
            mark = "▶" if i == self.current else "✓" if done else " "
            holds, caps, rolling = cells[i]
            line = f"{mark} {row.label[:name_w]:<{name_w}} {holds:>{holds_w}} {caps:>{caps_w}} {rolling:>{rolling_w}}"
            text.append(line.ljust(width)[:width] + "\n", style)
        if self.advice:
            text.append(self.advice, self.component_style("routine--advice"))
        return text

    @staticmethod
    def _cells(row: RoutineRow) -> tuple[str, str, str]:
        """Holds, caps (holds that ran into the cap) and rolling time, blank when there are none."""
        holds = f"{row.holds}h" if row.holds else ""
        caps = f"{row.caps}!" if row.caps else ""
        rolling = mmss(row.rolling_s) if visited(row.holds, row.rolling_s) else ""
        return holds, caps, rolling

"""The live force plot of the last 10-30 s, with holds in their own colour and the ceiling drawn.

Data in, drawing out (like Textual's own sparkline): the app hands over a :class:`PlotData` snapshot
and the widget bins it into columns of eighth-blocks. No domain logic: which samples were holds is
already decided by the pipeline. Lines are built once per snapshot as runs of equal style (the
Line API), so a redraw costs a few dozen segments, not one object per cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from smr_sense.tui.trace import STATE_HOLD, STATE_OFF, STATE_ROLLING
from smr_sense.tui.units import convert
from smr_sense.tui.widgets._styles import CachedComponentStyles

BLOCKS = " ▁▂▃▄▅▆▇█"
AXIS_W = 6  # " 600 ┤": the axis grows with its labels, always a space clear of the border
# Cell kinds beyond the three states: empty, ceiling line, target band.
_EMPTY, _CEILING, _BAND = 10, 11, 12


@dataclass(frozen=True, eq=False)
class PlotData:
    """A snapshot: bin times and max force per bin, the state code per bin (0 off, 1 rolling, 2 hold)."""

    t_s: np.ndarray
    force_n: np.ndarray
    state: np.ndarray
    now_s: float
    window_s: float = 20.0
    scale_n: float = 600.0
    ceiling_n: float | None = None
    band_n: tuple[float, float] | None = None
    unit: str = "N"
    body_mass_kg: float | None = None


class ForcePlot(CachedComponentStyles, Widget):
    COMPONENT_CLASSES = {
        "forceplot--off",
        "forceplot--rolling",
        "forceplot--hold",
        "forceplot--ceiling",
        "forceplot--band",
        "forceplot--axis",
    }

    data: reactive[PlotData | None] = reactive(None)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strips: list[Strip] = []
        self._built_for: tuple[int, int, int] | None = None

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        key = (id(self.data), width, height)
        if key != self._built_for:
            self._strips = self._build(width, height)
            self._built_for = key
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def _build(self, width: int, height: int) -> list[Strip]:
        data = self.data
        base_style = self.rich_style
        if data is None or width <= AXIS_W + 2 or height < 3:
            return [Strip([Segment("waiting for samples…".ljust(width)[:width], base_style)])]
        rows = height - 1  # the last line is the time axis
        labels = {r: self._axis_label(data, r, rows) for r in {0, rows // 2, rows - 1}}
        axis_w = max(AXIS_W, *(len(label) + 1 for label in labels.values()))
        cols = width - axis_w
        col_force, col_state = self._columns(data, cols)
        levels = np.clip(col_force / max(data.scale_n, 1.0), 0.0, 1.0) * rows * 8
        style_of: dict[int, Style] = {
            STATE_OFF: self.component_style("forceplot--off"),
            STATE_ROLLING: self.component_style("forceplot--rolling"),
            STATE_HOLD: self.component_style("forceplot--hold"),
            _CEILING: self.component_style("forceplot--ceiling"),
            _BAND: self.component_style("forceplot--band"),
            _EMPTY: base_style,
        }
        axis_style = self.component_style("forceplot--axis")
        empty_char = {_CEILING: "╌", _BAND: "·", _EMPTY: " "}

        def row_of(force_n: float) -> int:
            return rows - 1 - min(int(force_n / data.scale_n * rows), rows - 1)

        ceiling_row = row_of(data.ceiling_n) if data.ceiling_n is not None else -1
        band_rows = range(row_of(data.band_n[1]), row_of(data.band_n[0]) + 1) if data.band_n else range(0)
        strips = []
        for r in range(rows):
            fills = np.clip(levels - (rows - 1 - r) * 8, 0, 8).astype(int)
            background = _CEILING if r == ceiling_row else _BAND if r in band_rows else _EMPTY
            kinds = np.where(fills > 0, col_state, background)
            segments = [Segment(labels.get(r, "").rjust(axis_w), axis_style)]
            start = 0
            for c in range(1, cols + 1):  # one segment per run of equal kind
                if c == cols or kinds[c] != kinds[start]:
                    kind = int(kinds[start])
                    if kind in empty_char:
                        text = empty_char[kind] * (c - start)
                    else:
                        text = "".join(BLOCKS[f] for f in fills[start:c])
                    segments.append(Segment(text, style_of[kind]))
                    start = c
            strips.append(Strip(segments, width))
        axis = f"-{data.window_s:.0f} s".ljust(cols // 2) + "now".rjust(cols - cols // 2)
        strips.append(Strip([Segment(" " * axis_w + axis, axis_style)], width))
        return strips

    @staticmethod
    def _columns(data: PlotData, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """Max force and strongest state per column over [now - window, now]."""
        force = np.zeros(cols)
        state = np.zeros(cols, dtype=np.int8)
        if len(data.t_s):
            start_s = data.now_s - data.window_s
            idx = np.floor((data.t_s - start_s) / data.window_s * cols).astype(int)
            keep = (idx >= 0) & (idx < cols)
            np.maximum.at(force, idx[keep], data.force_n[keep])
            np.maximum.at(state, idx[keep], data.state[keep].astype(np.int8))
        return force, state

    @staticmethod
    def _axis_label(data: PlotData, r: int, rows: int) -> str:
        """The full scale on the top row, half on the middle one, 0 on the bottom one (which, in a
        plot two rows high, is also the "middle" one: it said half the scale there)."""
        value = data.scale_n if r == 0 else 0.0 if r == rows - 1 else data.scale_n / 2
        return f"{convert(value, data.unit, data.body_mass_kg):.0f} ┤"

"""The live force plot of the last 10-30 s, with holds in their own colour and the ceiling drawn.

Data in, drawing out (like Textual's own sparkline): the app hands over a :class:`PlotData` snapshot
and the widget bins it into columns of eighth-blocks. No domain logic: which samples were holds is
already decided by the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from smr_sense.tui.units import convert

BLOCKS = " ▁▂▃▄▅▆▇█"
STATE_OFF, STATE_ROLLING, STATE_HOLD = 0, 1, 2
AXIS_W = 6


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


class ForcePlot(Widget):
    COMPONENT_CLASSES = {
        "forceplot--off",
        "forceplot--rolling",
        "forceplot--hold",
        "forceplot--ceiling",
        "forceplot--band",
        "forceplot--axis",
    }

    data: reactive[PlotData | None] = reactive(None)

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        data = self.data
        if data is None or width <= AXIS_W + 2 or height < 3:
            return Text("waiting for samples…")
        rows = height - 1  # the last line is the time axis
        cols = width - AXIS_W
        col_force, col_state = self._columns(data, cols)
        levels = np.clip(col_force / max(data.scale_n, 1.0), 0.0, 1.0) * rows * 8
        style = {k: self.get_component_rich_style(f"forceplot--{k}") for k in ("off", "rolling", "hold", "ceiling", "band", "axis")}
        state_style = {STATE_OFF: style["off"], STATE_ROLLING: style["rolling"], STATE_HOLD: style["hold"]}

        def row_of(force_n: float) -> int:
            return rows - 1 - min(int(force_n / data.scale_n * rows), rows - 1)

        ceiling_row = row_of(data.ceiling_n) if data.ceiling_n is not None else -1
        band_rows = range(row_of(data.band_n[1]), row_of(data.band_n[0]) + 1) if data.band_n else range(0)
        text = Text(no_wrap=True, overflow="crop")
        for r in range(rows):
            text.append(self._axis_label(data, r, rows), style["axis"])
            base = (rows - 1 - r) * 8
            fills = np.clip(levels - base, 0, 8).astype(int)
            for c in range(cols):
                f = int(fills[c])
                if f:
                    text.append(BLOCKS[f], state_style[int(col_state[c])])
                elif r == ceiling_row:
                    text.append("╌", style["ceiling"])
                elif r in band_rows:
                    text.append("·", style["band"])
                else:
                    text.append(" ")
            text.append("\n")
        axis = f"-{data.window_s:.0f} s".ljust(cols // 2) + "now".rjust(cols - cols // 2)
        text.append(" " * AXIS_W + axis, style["axis"])
        return text

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
        if r == 0:
            value = convert(data.scale_n, data.unit, data.body_mass_kg)
        elif r == rows // 2:
            value = convert(data.scale_n / 2, data.unit, data.body_mass_kg)
        elif r == rows - 1:
            value = 0.0
        else:
            return " " * AXIS_W
        return f"{value:>4.0f} ┤"[:AXIS_W].rjust(AXIS_W)

"""The session summary: per muscle group at a glance, what stands out, and where it was saved."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from smr_sense.core.words import as_sentence, counted, duration, mmss
from smr_sense.report import SessionSummary, summary_notes
from smr_sense.tui.units import force_text


def summary_table(s: SessionSummary, *, narrow: bool = False, compact: bool = False, unit: str = "N") -> Table:
    """``narrow`` (60 columns): one space between the columns, and "Mean force" and "Over cap" on
    two lines, so that the muscle groups' names stay whole. ``compact`` (50 columns, a phone's
    terminal): narrow, and without the over-cap seconds and the % of body weight, which the saved
    Markdown keeps; should that still not do, a name wraps, never cut. Forces are in newtons, or
    in kg when the dashboard showed kg (with the % of body weight beside either)."""
    narrow = narrow or compact
    table = Table(expand=True, box=None, header_style="bold", pad_edge=False, collapse_padding=narrow)
    table.add_column("Muscle group", no_wrap=not narrow, ratio=1, overflow="fold")
    names = ("Holds", "Longest", "Mean force", "Caps", "Over cap", "Rolling")  # as the Markdown names them
    for name in names:
        if not (compact and name == "Over cap"):
            table.add_column(name.replace(" ", "\n") if narrow else name, justify="right", no_wrap=True)
    for g in s.groups:
        if not g.visited:
            table.add_row(Text(g.label, style="dim"), *(Text("-", style="dim") for _ in table.columns[1:]))
            continue
        pct = None if compact else s.pct_bw(g.mean_force_n)
        mean = g.mean_force_n  # None for a group rolled over with no hold
        # As the dashboard's readout words it: kg when it showed kg, else newtons (%BW stays beside).
        shown = "kg" if unit == "kg" else "N"
        force = "-" if mean is None else force_text(mean, shown, None) + (f" {pct:.0f}%" if pct is not None else "")
        cells = [
            Text(g.label, style="" if g.worked else "dim"),  # a brief visit: its time, but 'Not worked'
            str(g.hold_count),
            f"{g.longest_hold_s:.0f} s" if g.holds else "-",
            force,
            Text(str(g.caps), style="bold red" if g.caps else ""),
            *([] if compact else [f"{g.over_cap_s:.1f} s" if g.caps else "-"]),
            mmss(g.rolling_s),
        ]
        table.add_row(*cells)
    return table


class SummaryTable:
    """The summary's table drawn for the width it is given, again at every resize: the narrow form
    only when the full one would not fit, the compact one when neither does."""

    def __init__(self, summary: SessionSummary, unit: str = "N") -> None:
        self.summary = summary
        self.unit = unit

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        wide = options.update_width(1000)
        table = summary_table(self.summary, unit=self.unit)
        if Measurement.get(console, wide, table).maximum > options.max_width:
            table = summary_table(self.summary, narrow=True, unit=self.unit)
            # Narrow still does with every name wrapped at its spaces ("IT band /" over "TFL"), none
            # cut. (Rich's own minimum leaves out the padding between columns.)
            labels = [g.label for g in self.summary.groups]
            wrapped = max(len(w) for label in labels for w in label.split()) - max(map(len, labels))
            if Measurement.get(console, wide, table).maximum + wrapped > options.max_width:
                table = summary_table(self.summary, compact=True, unit=self.unit)
        yield table


class SummaryScreen(Screen[None]):
    BINDINGS = [
        Binding("q", "app.exit_now", "Quit"),
        Binding("enter", "app.exit_now", "Quit", show=False),
        Binding("escape", "dismiss", "Back to the dashboard"),
    ]

    def __init__(
        self, summary: SessionSummary | None, saved: tuple[str, ...], error: str | None, note: str | None = None,
        warnings: tuple[str, ...] = (), unit: str = "N",
    ) -> None:
        super().__init__()
        self.summary = summary
        self.unit = unit  # the dashboard's: someone reading kg all session reads kg here too
        self.saved = saved
        self.error = error
        self.note = note
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        s = self.summary
        # Not focusable: its scroll keys would shadow the dashboard's arrows in the footer afterwards.
        with VerticalScroll(id="summary-body", can_focus=False):
            if s is None:
                yield Static("No samples arrived, so there is nothing to summarise.", id="summary-empty")
            else:
                # Unmeasured, "0 holds, 0 caps" would be no finding: the notes below say why.
                found = f"{counted(s.holds, 'hold')}, {counted(s.caps, 'cap')} reached" if s.measured else "not measured"
                yield Static(f"Session summary: {duration(s.duration_s)}, {found}", id="summary-title")
                yield Static(SummaryTable(s, self.unit), id="summary-table")
                yield Static("\n".join(f"• {n}" for n in summary_notes(s)), id="summary-notes")
        if self.warnings:
            yield Static("\n".join(f"! {as_sentence(w)}" for w in self.warnings), id="summary-warnings")
        if self.saved:
            saved = "Saved:\n" + "\n".join(f"  {p}" for p in self.saved)
        else:
            saved = self.note or "Not saved (nothing was recorded)."
        yield Static(saved, id="summary-saved")
        if self.error:
            yield Static(f"{as_sentence(self.error)}.", id="summary-error")
        yield Footer()

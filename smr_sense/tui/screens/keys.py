"""Every dashboard key on one card: the footer cuts keys off in a narrow terminal, this never does."""

from __future__ import annotations

from rich.cells import cell_len
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static


def keys_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    # A narrow terminal wraps what a key does, never the key itself ("space", not "spa…").
    widest_key = max((cell_len(key) for key, _ in rows), default=1)
    table.add_column(style="bold", justify="right", no_wrap=True, min_width=widest_key)
    table.add_column(overflow="fold")
    for key, what in rows:
        table.add_row(key, what)
    return table


class KeysScreen(ModalScreen[None]):
    """The keys the dashboard takes right now (replay keys only on a replay). The session goes on
    underneath; a cap alarm closes the card so nothing stands in front of it."""

    BINDINGS = [
        Binding("escape,question_mark", "dismiss", "Close", key_display="esc"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        card = Static(keys_table(self.rows), id="keys-card")
        card.border_title = "Keys"
        card.border_subtitle = "esc or ? closes"
        yield card


def open_keys(app) -> None:
    """The card for ``app``'s dashboard: each key shown in its footer that it takes right now."""
    rows = [
        (b.key_display or b.key, b.tooltip or b.description)
        for b in app.BINDINGS
        if isinstance(b, Binding) and b.show and b.action != "keys" and app.check_action(b.action.split("(")[0], ())
    ]
    app.push_screen(KeysScreen(rows))


def close_keys(app) -> None:
    if isinstance(app.screen, KeysScreen):
        app.pop_screen()

"""OFF / ROLLING / HOLD in a big coloured block: the one thing to see from across the room."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

WORDS = {
    "off": "OFF", "rolling": "ROLLING", "hold": "HOLD", "nosignal": "NO SIGNAL", "waiting": "WAITING",
    "uncalibrated": "UNCALIBRATED",
    "ended": "SESSION ENDED",
}


class StateBadge(Static):
    state: reactive[str] = reactive("waiting")

    def watch_state(self, state: str) -> None:
        self.update(WORDS.get(state, state.upper()), layout=False)
        self.set_classes(f"-{state}")

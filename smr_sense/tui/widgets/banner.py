"""A one-sentence banner for faults and link trouble; hidden when there is nothing to say."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class Banner(Static):
    text: reactive[str] = reactive("")
    level: reactive[str] = reactive("error")  # error | warning | info

    def watch_text(self, text: str) -> None:
        self.update(text)
        self.set_class(bool(text), "-shown")

    def watch_level(self, level: str) -> None:
        self.set_classes(f"-{level}" + (" -shown" if self.text else ""))

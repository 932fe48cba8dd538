"""A one-line answer box whose editing keys take effect in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input


class AnswerBox(Input):
    """An :class:`Input` that runs its own key bindings (Enter, Backspace, Ctrl-U, the arrows ...)
    as each key arrives, in turn with the characters typed around it.

    Textual runs a widget's bindings only once the key has bubbled up to the app, by which time
    the box has already inserted the characters queued behind it. Keys that come in one read (a
    paste, ``tmux send-keys C-u 72 Enter``, a fast typist over ssh) then apply out of order: Ctrl-U
    cleared the "72" typed after it, and Enter submitted an empty box.

    Its Enter is shown in the footer as "Next": focused, the box takes Enter before the screen
    does, and Input's own Enter is hidden, so the steps with a box showed no way on.
    """

    BINDINGS = [Binding("enter", "submit", "Next")]

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)

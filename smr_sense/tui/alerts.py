"""What the banner says about the session's health: polled on every redraw, said once per change.

Polled, not only told: while a link is down no samples (and so no messages) arrive, and a full
disk or a missing calibration shows in the session's state, not as an event.
"""

from __future__ import annotations

from smr_sense.devices.stream import is_another_device

WARNING = "warning"
RECONNECTING = "The roller is disconnected: reconnecting, the session goes on."


class HealthWatch:
    def __init__(self) -> None:
        self._problem: str | None = None
        self._link = ""
        self._link_error: str | None = None
        self.link_changed = False  # the last poll saw the link change: the header must be redrawn

    def poll(
        self, problem: str | None, link: str, link_error: str | None, banner_shown: bool
    ) -> list[tuple[str, str]]:
        """Banner texts (text, level) to show now, in order ("" clears it), for the session's
        ``problem``, the ``link`` state and, while reconnecting, the link's last error."""
        say: list[tuple[str, str]] = []
        if problem != self._problem:  # no calibration, or the analysis or the recording stopped
            self._problem = problem
            say.append((problem or "", WARNING))
            banner_shown = bool(problem)
        self.link_changed = link != self._link
        if self.link_changed:
            self._link = link
            if link == "reconnecting" and not banner_shown:
                say.append((RECONNECTING, WARNING))
        error = link_error if link == "reconnecting" else None
        if error != self._link_error:
            self._link_error = error
            if is_another_device(error):  # not the session's roller: say whose
                say.append((f"The roller is disconnected; {error}.", WARNING))
        return say

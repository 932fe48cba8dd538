"""The replay keys' actions, mixed into the dashboard app: the keys' state is :class:`ReplayKeys`'s,
what they say on screen is here."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from smr_sense.sources.base import Source
from smr_sense.tui.holds_ahead import holds_ahead
from smr_sense.tui.replay_keys import ReplayKeys
from smr_sense.tui.session import DashboardSession

NO_MORE_HOLDS = "No more holds in this replay."


class ReplayActions:
    # The app's, for the actions below.
    replay: ReplayKeys
    session: DashboardSession
    source: Source
    _dirty: bool

    if TYPE_CHECKING:  # textual's App.notify, which the app has (a stub here would hide it)

        def notify(self, message: str, **kwargs: Any) -> None: ...

    def action_pause(self) -> None:
        self.replay.pause()
        self._dirty = True

    def action_seek(self, delta_s: float) -> None:
        self.replay.seek(delta_s)
        self._dirty = True

    def action_speed(self, step: int) -> None:
        self.replay.speed(step)
        self._dirty = True

    def action_next_hold(self) -> None:
        if not self.replay.next_hold(partial(holds_ahead, self.session, self.source.playback)):
            self.notify(NO_MORE_HOLDS, timeout=4)
        self._dirty = True

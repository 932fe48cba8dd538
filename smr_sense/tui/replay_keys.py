"""The replay keys: pause, seek, speed and "next hold", over a source's :class:`Playback`.

Plain state and arithmetic, no widgets: the app calls these from its key actions and from its
worker (``after_events``, between two blocks, so "next hold" stops on the hold, not after it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from smr_sense.core import events as ev
from smr_sense.sources.base import Playback

# `+`/`-` step along this ladder, from whatever speed --speed started at (up to its limit of 1000).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
FAST_FORWARD_SPEED = 50.0  # "next hold": play this fast until the pipeline confirms a hold
SEEK_CHAIN_S = 0.5  # seek keys pressed this close together add up: -5 s twice is -10 s


class ReplayKeys:
    def __init__(self, playback: Playback | None) -> None:
        self.playback = playback
        self.fast_forward_from: float | None = None  # the speed to return to after "next hold"
        self.pause_on_hold = False  # "next hold" pressed while paused: pause again on the hold
        self.holds_to_pass = 0  # "next hold" pressed again while fast-forwarding: holds to go past first
        self._seek_to: float | None = None
        self._seek_at = 0.0

    @property
    def fast_forwarding(self) -> bool:
        return self.fast_forward_from is not None

    def pause(self) -> None:
        if self.playback is not None:
            self._cancel_fast_forward()
            self.playback.set_paused(not self.playback.paused)

    def seek(self, delta_s: float) -> None:
        playback = self.playback
        if playback is None:
            return
        self._cancel_fast_forward()
        # Keys pressed faster than the source moves add up, from where the last one aimed.
        now = time.monotonic()
        chained = self._seek_to is not None and now - self._seek_at < SEEK_CHAIN_S
        self._seek_to = (self._seek_to if chained else playback.position_s) + float(delta_s)
        self._seek_at = now
        playback.seek(self._seek_to)

    def speed(self, step: int) -> None:
        playback = self.playback
        if playback is None:
            return
        current = self.fast_forward_from or playback.speed
        self.fast_forward_from = None
        self.holds_to_pass = 0
        # The next rung up or down from the current speed, which need not be on the ladder
        # (--speed 3): faster is never slower, and the ends hold.
        if step > 0:
            new = next((s for s in SPEEDS if s > current * (1 + 1e-9)), max(current, SPEEDS[-1]))
        else:
            new = next((s for s in reversed(SPEEDS) if s < current * (1 - 1e-9)), SPEEDS[0])
        playback.set_speed(new)

    def next_hold(self, holds_ahead: Callable[[int], int | None] = lambda wanted: None) -> bool:
        """Play fast to the next hold. False, and nothing changes, when ``holds_ahead(n)`` (the holds
        left in the file, counted up to n; None: unknown) says the hold asked for is not there:
        fast-forwarding to the end would end the replay, its place and speed lost."""
        playback = self.playback
        if playback is None:
            return True  # not a replay: no such key (the app's check_action)
        # Counted from here: the hold a jump under way goes to, the ones it passes, then this one.
        wanted = self.holds_to_pass + 2 if self.fast_forward_from is not None else 1
        found = holds_ahead(wanted)
        if found is not None and found < wanted:
            return False
        if self.fast_forward_from is not None:
            self.holds_to_pass += 1  # n n n: the third hold on, as a video player's chapters
        else:
            self.fast_forward_from = playback.speed
            # Paused, the user is studying the replay: the jump lands on the hold, paused, as a
            # video player's "next chapter" does, instead of playing on from it.
            self.pause_on_hold = playback.paused
            if playback.paused:
                playback.set_paused(False)
            playback.set_speed(FAST_FORWARD_SPEED)
        return True

    def _cancel_fast_forward(self) -> None:
        """Pausing or seeking takes over from "next hold": its own speed back, no jump later."""
        if self.fast_forward_from is not None and self.playback is not None:
            self.playback.set_speed(self.fast_forward_from)
            self.fast_forward_from = None
            self.pause_on_hold = False
            self.holds_to_pass = 0

    def after_events(self, events: list[ev.Event]) -> None:
        """Back to the earlier speed once a hold is confirmed (the last of those "next hold" asked for)."""
        if self.fast_forward_from is not None and self.playback is not None:
            started = sum(isinstance(e, ev.HoldStarted) for e in events)
            if started and self.holds_to_pass >= started:
                self.holds_to_pass -= started
            elif started:
                self.holds_to_pass = 0
                self.playback.set_speed(self.fast_forward_from)
                self.fast_forward_from = None
                if self.pause_on_hold:
                    self.pause_on_hold = False
                    self.playback.set_paused(True)

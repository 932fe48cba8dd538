"""Replay controls: position in the recording, speed, paused or playing. Shown only when the source
offers playback; the keys live on the app."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from smr_sense.core import words
from smr_sense.tui.widgets._styles import CachedComponentStyles


def clock(seconds: float) -> str:
    """A position as m:ss (h:mm:ss from an hour on), counted as a player's clock does (whole
    seconds elapsed)."""
    return words.clock(int(max(0.0, seconds)))


def position_text(position_s: float, duration_s: float) -> str:
    """"m:ss / m:ss". The length is rounded as the summary and ``analyze`` round it (179.99 s is
    3:00, not 2:59); the position runs as a clock, and at the end (or a moment past it, as the last
    sample can be) reads the length (it read "3:00 / 2:59")."""
    if duration_s <= 0:
        return f"{clock(position_s)} / {words.mmss(0.0)}"
    length = words.mmss(duration_s)
    return f"{length if position_s >= duration_s else clock(position_s)} / {length}"


def speed_text(speed: float) -> str:
    if speed == float("inf"):
        return "max"
    return f"{speed:g}×"


class PlaybackBar(CachedComponentStyles, Widget):
    COMPONENT_CLASSES = {"playback--done", "playback--todo", "playback--state"}

    position_s: reactive[float] = reactive(0.0)
    duration_s: reactive[float | None] = reactive(None)
    speed: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(False)
    seeking_hold: reactive[bool] = reactive(False)
    ended: reactive[bool] = reactive(False)

    def render(self) -> Text:
        width = max(self.size.width, 30)
        if self.ended:
            state = "■ ended "
        else:
            state = "⏸ paused " if self.paused else ">> to next hold " if self.seeking_hold else "▶ playing "
        head = f"{state}{speed_text(self.speed):>5} "
        dur = self.duration_s or 0.0
        tail = f" {position_text(self.position_s, dur)}"
        bar_w = max(width - len(head) - len(tail), 5)
        done = int(round(bar_w * min(self.position_s / dur, 1.0))) if dur > 0 else 0
        text = Text(no_wrap=True, overflow="crop")
        text.append(head, self.component_style("playback--state"))
        text.append("━" * done, self.component_style("playback--done"))
        text.append("─" * (bar_w - done), self.component_style("playback--todo"))
        text.append(tail)
        return text

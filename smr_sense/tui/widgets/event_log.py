"""The event log: one entry per event, in the order they came, wrapped to the log's width."""

from __future__ import annotations

import re
import textwrap
from pathlib import PurePath

from textual.widgets import Log

from smr_sense.tui.phrases import recording_line

# " 1:08.0  " (or "1:02:08.0  " past the hour): the time each event's line starts with
_CLOCK = re.compile(r"\s*(?:\d+:)?\d+:\d\d\.\d\s+")
MIN_WRAP = 16  # narrower than this (not laid out yet) nothing is wrapped


def wrapped(entry: str, width: int) -> list[str]:
    """``entry`` in lines of at most ``width`` cells, the continuation lines indented to the text
    after the time, so the times stay a column of their own."""
    if width < MIN_WRAP or len(entry) <= width:
        return [entry]
    clock = _CLOCK.match(entry)
    indent = " " * (clock.end() if clock and clock.end() <= width // 2 else 2)
    return textwrap.wrap(entry, width, subsequent_indent=indent, break_on_hyphens=False) or [entry]


class EventLog(Log, can_focus=False):
    """Never focused, so the arrow keys stay with the routine and the replay.

    ``Log`` cuts a line at its edge; in a narrow terminal that cut off what an event says ("Hold
    ended:" without its duration). So the log keeps its entries and shows each wrapped to its width,
    again when the terminal is resized. The recording's path is the one entry that is not wrapped:
    it is fitted to one line, leading folders giving way so the file's name stays whole. A run of
    seeks is one entry, the last."""

    _jump: str | None = None  # the last seek's entry
    _width = 0  # the width the entries were last laid out to

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._entries: list[str | PurePath] = []  # a path: the recording entry

    def write_line(self, line: str, scroll_end: bool | None = None) -> EventLog:
        """One entry: shown on as many lines as the log's width needs."""
        self._add(line)
        return self

    def write_jump(self, entry: str) -> None:
        """A seek in a replay. Seeking is done in runs (←, ←, ←): each jump in a run replaces the one
        before, so the session's own events stay in view."""
        if self._jump is not None and self._entries and self._entries[-1] == self._jump:
            self._entries[-1] = entry
            self._relayout()
        else:
            self._add(entry)
        self._jump = entry

    def write_recording(self, path: PurePath | str) -> None:
        self._add(PurePath(path))

    def _text_width(self) -> int:
        # One column short of the log: a space between the text and the right border. (No scroll
        # bar, see dashboard.tcss: the width stays the same as lines come.)
        return self.scrollable_content_region.width - 1

    def _shown(self, entry: str | PurePath, width: int) -> list[str]:
        if isinstance(entry, PurePath):
            return [recording_line(entry, width)]
        return wrapped(entry, width)

    def _add(self, entry: str | PurePath) -> None:
        self._entries.append(entry)
        if self.max_lines is not None and len(self._entries) > self.max_lines:
            del self._entries[: len(self._entries) - self.max_lines]
        lines = self._shown(entry, self._text_width())
        full = self.max_lines is not None and self.line_count + len(lines) > self.max_lines
        self.write_lines(lines)
        if full:
            # Textual's Log repaints only the rows it appended, counted from before the oldest were
            # dropped: once full, every row on screen has moved up and the log froze on screen
            # (seen after ~300 events, an hour's session) while the entries went on.
            self.refresh()

    def _relayout(self) -> None:
        width = self._text_width()
        self._width = width
        lines = [line for entry in self._entries for line in self._shown(entry, width)]
        self.clear().write_lines(lines)
        # Wrapped to a new width the log has more (or fewer) lines, and Log keeps the old scroll
        # offset: no longer at the end, it stopped following the session (each new event went
        # below the view, for good). Once laid out, the newest line is in view again.
        self.scroll_end(animate=False, x_axis=False)

    def on_resize(self) -> None:
        # Entries written before the first layout (a quick source) were laid out to no width at all.
        if self._text_width() != self._width:
            self._relayout()

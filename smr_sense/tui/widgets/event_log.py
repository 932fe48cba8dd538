"""The event log: one line per event, in the order they came."""

from __future__ import annotations

from pathlib import PurePath

from textual.widgets import Log

from smr_sense.tui.phrases import recording_line


class EventLog(Log, can_focus=False):
    """Never focused, so the arrow keys stay with the routine and the replay. A line wider than the
    log is cut at its edge, so the recording's path is fitted to the width it has (again when the
    terminal is resized), keeping the file's name whole. A run of seeks is one line, the last."""

    _recording: PurePath | None = None
    _jump: str | None = None  # the last seek's line

    def write_jump(self, line: str) -> None:
        """A seek in a replay. Seeking is done in runs (←, ←, ←): each jump in a run replaces the one
        before, so the session's own events stay in view."""
        if self._jump is not None and self.lines and self.lines[-1] == self._jump:
            self.replace_line(len(self.lines) - 1, line)
        else:
            self.write_line(line)
        self._jump = line

    def write_recording(self, path: PurePath | str) -> None:
        self._recording = PurePath(path)
        self.write_line(self._recording_line())

    def _recording_line(self) -> str:
        assert self._recording is not None
        # One column short of the log: room for the scroll bar that more lines bring.
        return recording_line(self._recording, self.scrollable_content_region.width - 1)

    def on_resize(self) -> None:
        # Written before the first layout (a quick source) it was fitted to no width at all.
        if self._recording is not None and self.lines and self.lines[0].startswith("Recording to "):
            self.replace_line(0, self._recording_line())

    def replace_line(self, index: int, line: str) -> None:
        lines = list(self.lines)  # Log can only add lines: write them all again
        if lines[index] != line:
            lines[index] = line
            self.clear().write_lines(lines)

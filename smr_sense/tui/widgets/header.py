"""The top line: where the samples come from, whether they arrive, how fast, and where they go."""

from __future__ import annotations

from pathlib import PurePath

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

LINK_WORDS = {
    "connecting": "connecting",
    "streaming": "streaming",
    "reconnecting": "reconnecting",
    "ended": "ended",
    "paused": "paused",
    "gap": "no samples",  # a replay: the file's own gap (the link was down there)
}

# Where the recording stands (DashboardSession.recording_state), before the file's name.
RECORDING_WORDS = {"recording": "● REC", "stopped": "REC stopped", "saved": "saved"}


class StatusHeader(Horizontal):
    """Device and source, link state, measured rate and link quality, recording indicator. A narrow
    terminal drops the least needed first, so that the device's name stays whole: the source, then
    the recording's file name (the event log has it too), then the rate and link quality."""

    device_name: reactive[str] = reactive("", repaint=False)  # "" until the source is open
    source_text: reactive[str] = reactive("", repaint=False)
    link_state: reactive[str] = reactive("connecting", repaint=False)
    rate_hz: reactive[float | None] = reactive(None, repaint=False)
    link_pct: reactive[float | None] = reactive(None, repaint=False)
    recording: reactive[str | None] = reactive(None, repaint=False)  # the file; None: nothing recorded
    recording_state: reactive[str] = reactive("recording", repaint=False)

    def compose(self) -> ComposeResult:
        yield Label("", id="hdr-source")
        yield Label("", id="hdr-link")
        yield Label("", id="hdr-rate")
        yield Label("", id="hdr-rec")

    def watch_source_text(self) -> None:
        name = f"{self.device_name}  " if self.device_name else ""
        self.query_one("#hdr-source", Label).update(name + self.source_text, layout=False)

    def watch_device_name(self) -> None:
        self.watch_source_text()
        self._update_recording()

    def on_resize(self) -> None:
        self._update_recording()

    def watch_link_state(self, state: str) -> None:
        label = self.query_one("#hdr-link", Label)
        label.update(f"● {LINK_WORDS.get(state, state)}", layout=False)
        label.set_classes(f"-{state}")

    def _update_rate(self) -> None:
        rate = "-- Hz" if self.rate_hz is None else f"{self.rate_hz:.0f} Hz"
        link = "" if self.link_pct is None else f"  link {self.link_pct:.1f} %"
        label = self.query_one("#hdr-rate", Label)
        label.update(rate + link, layout=False)  # fixed width: no relayout per frame
        label.set_class(self.link_pct is not None and self.link_pct < 95.0, "-poor")

    def watch_rate_hz(self) -> None:
        self._update_rate()

    def watch_link_pct(self) -> None:
        self._update_rate()

    def _update_recording(self) -> None:
        path, state = self.recording, self.recording_state
        label = self.query_one("#hdr-rec", Label)
        words = RECORDING_WORDS.get(state, state) if path else "not recording"
        # What is left beside the device's name, the link and these words (each padded by 1 | 1).
        room = self.size.width - cell_len(self.device_name) - cell_len(words) - 4
        room -= self.query_one("#hdr-link").styles.width.cells or 0
        rate = self.query_one("#hdr-rate", Label)
        rate_w = rate.styles.width.cells or 0
        rate.display = room >= rate_w
        # The file name here; the full path is in the event log and on the summary screen.
        name = PurePath(path).name if path else ""
        label.update(f"{words} {name}" if name and room - rate_w > cell_len(name) else words)
        label.set_class(bool(path) and state == "recording", "-on")
        label.set_class(bool(path) and state == "stopped", "-stopped")

    def watch_recording(self) -> None:
        self._update_recording()

    def watch_recording_state(self) -> None:
        self._update_recording()

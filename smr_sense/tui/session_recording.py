"""A dashboard session's recording: opened with the stream, handed every block and marker, closed
at the end. A full disk stops the recording (said once, on the banner), never the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.errors import SmrError
from smr_sense.recording import RecordingExistsError, RecordingWriter


class SessionRecording:
    def __init__(self, path: Path | None, rename: Callable[[Path], Path] | None = None, replace: bool = False) -> None:
        self.path = path  # None: nothing is recorded
        self.rename = rename  # the app chose ``path``: another free name will do
        self.replace = replace  # --force: a file already at ``path`` is written over (never one being recorded)
        self.writer: RecordingWriter | None = None
        self.problem: str | None = None  # why the recording stopped (a full disk)
        self.closed = False

    def open(self, info: StreamInfo, extra: dict[str, Any]) -> None:
        """Start the file. The name was checked free before the screen opened: another session
        started in the same second may have taken it since. A name the app chose moves on to the
        next free one (``path`` says which); one the user chose is refused."""
        if self.path is None:
            return
        while True:
            try:
                self.writer = RecordingWriter(self.path, info, extra=extra, force=self.replace)
                return
            except RecordingExistsError:
                if self.rename is None:
                    raise SmrError(
                        f"{self.path} was created by another session just now; start again to record to a new file"
                    ) from None
                self.path = self.rename(self.path)

    def append(self, block: SampleBlock) -> None:
        if self.writer is not None:
            self._keep(self.writer.append, block)

    def mark(self, marker: Marker) -> None:
        if self.writer is not None:
            self._keep(self.writer.mark, marker)

    def _keep(self, write: Callable[[Any], None], item: Any) -> None:
        try:
            write(item)
        except SmrError as err:  # the writer says so once and takes nothing more
            self.problem = f"The recording stopped: {err}."

    @property
    def state(self) -> str | None:
        """"recording", "stopped" (the disk refused a write: nothing more is kept), "saved" (closed),
        or None when nothing is recorded."""
        if self.writer is None:
            return None
        if self.writer.failed is not None:
            return "stopped"
        return "saved" if self.closed else "recording"

    def close(self) -> list[str]:
        """Close the file; the sentences for what went wrong. All that was written before a refusal
        (a full disk) is in the file, so it counts as saved whatever they say."""
        if self.writer is None or self.closed:
            return []
        self.closed = True
        errors: list[str] = []
        try:
            self.writer.close()
        except OSError as err:
            errors.append(f"the recording {self.writer.path} could not be closed: {err.strerror or err}")
        except SmrError:
            pass  # its sentence is ``failed``, below
        if self.writer.failed is not None:
            errors.append(f"the recording stopped early: {self.writer.failed}")
        return errors

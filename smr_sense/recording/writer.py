"""Append samples and markers to a recording as they arrive, crash-safe.

Every quarter second (of wall time) the buffered samples go to the operating system as one
checksummed chunk, so a recorder killed with SIGKILL loses at most that quarter second; an fsync
every few seconds covers power loss too. An existing file is never overwritten unless asked.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from pathlib import Path
from typing import BinaryIO

from smr_sense import __version__
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.errors import SmrError
from smr_sense.recording import format as fmt


class RecordingExistsError(SmrError):
    """Refusing to overwrite a recording."""


def check_output_path(path: Path, force: bool) -> None:
    """Refuse, in one sentence, an output file that cannot or must not be written: a folder, a file
    in a folder that is not there (never made for the user), or one that exists without ``force``."""
    if path.is_dir():
        raise SmrError(f"{path} is a folder; give the name of a file to write")
    if not path.parent.is_dir():
        raise SmrError(f"cannot create {path}: the folder {path.parent} does not exist")
    if path.exists() and not force:
        raise RecordingExistsError(f"{path} already exists; use --force to overwrite it")


class RecordingWriter:
    def __init__(
        self,
        path: str | os.PathLike[str],
        info: StreamInfo,
        *,
        force: bool = False,
        flush_interval_s: float = 0.25,
        fsync_interval_s: float = 2.0,
        extra: dict | None = None,
    ) -> None:
        self.path = Path(path)
        self.info = info
        self.flush_interval_s = flush_interval_s
        self.fsync_interval_s = fsync_interval_s
        self.samples = 0
        self.last_t_s: float | None = None
        self._dtype = fmt.row_dtype(info)
        self._pending: list[bytes] = []
        self._pending_samples = 0
        self._last_flush = time.monotonic()
        self._last_fsync = self._last_flush
        self._file: BinaryIO | None = None
        check_output_path(self.path, force)
        try:
            self._file = open(self.path, "wb" if force else "xb")  # noqa: SIM115 - lives as long as the writer
        except FileExistsError:  # made since the check: "xb" never writes over it
            raise RecordingExistsError(f"{self.path} already exists; use --force to overwrite it") from None
        except OSError as err:  # no permission, a full disk (a folder or a missing one: checked above)
            raise SmrError(f"cannot create {self.path}: {err.strerror}") from None
        created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        header = fmt.Header(info, created, __version__, extra or {})
        self._file.write(fmt.encode_header(header))
        self._file.flush()

    def append(self, block: SampleBlock) -> None:
        if len(block) == 0:
            return
        self._pending.append(fmt.encode_samples(block, self._dtype))
        self._pending_samples += len(block)
        self.samples += len(block)
        self.last_t_s = float(block.t_s[-1])
        self._maybe_flush()

    def mark(self, marker: Marker) -> None:
        """Markers are rare and precious (a gap, a group change): written at once."""
        self._pending.append(fmt.encode_marker(marker))
        self.flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self, fsync: bool = False) -> None:
        if self._file is None:
            return
        if self._pending:
            self._file.write(b"".join(self._pending))
            self._pending.clear()
            self._pending_samples = 0
        self._file.flush()
        now = time.monotonic()
        self._last_flush = now
        if fsync or now - self._last_fsync >= self.fsync_interval_s:
            os.fsync(self._file.fileno())
            self._last_fsync = now

    def close(self) -> None:
        if self._file is None:
            return
        self._pending.append(fmt.encode_end(self.samples, self.last_t_s))
        self.flush(fsync=True)
        self._file.close()
        self._file = None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

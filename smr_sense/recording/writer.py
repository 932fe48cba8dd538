"""Append samples and markers to a recording as they arrive, crash-safe.

Every quarter second of wall time, or every second of stream time if that comes first, the
buffered samples go to the operating system in checksummed chunks of at most a second of stream
time each, so a recorder killed with SIGKILL loses at most that, and a damaged stretch of the file
loses only the chunks it touches; an fsync every few seconds covers power loss too. An existing
file is never overwritten unless asked, and never while another recorder writes it (lock.py).
"""

from __future__ import annotations

import datetime as _dt
import os
import stat
import time
from pathlib import Path
from typing import BinaryIO

from smr_sense import __version__
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.core.words import counted
from smr_sense.errors import SmrError
from smr_sense.recording import format as fmt
from smr_sense.recording.lock import lock_for_writing

CHUNK_MAX_S = 1.0  # stream time in one checksummed chunk: what a damaged chunk can lose


class RecordingExistsError(SmrError):
    """Refusing to overwrite a recording."""


class RecordingBusyError(SmrError):
    """Another recorder is writing the file right now."""


class RecordingWriteError(SmrError):
    """The disk refused a write (full, removed): what was written before it is kept."""


def check_output_path(path: Path, force: bool, reading: tuple[str | os.PathLike[str], ...] = ()) -> None:
    """Refuse, in one sentence, an output file that cannot or must not be written: a folder, a file
    in a folder that is not there (never made for the user), one that exists without ``force``, or
    one of the files being read (``--force`` would lose the recording itself)."""
    for source in reading:
        if path.exists() and Path(source).exists() and os.path.samefile(path, source):
            raise SmrError(f"{path} is the file being read; write to another file")
    if path.is_dir():
        raise SmrError(f"{path} is a folder; give the name of a file to write")
    if not path.parent.is_dir():
        raise SmrError(f"cannot create {path}: the folder {path.parent} does not exist")
    # A pipe or a device (``mkfifo``, /dev/null) always exists and holds nothing to lose: no --force.
    if path.is_file() and not force:
        raise RecordingExistsError(f"{path} already exists; use --force to overwrite it")


def _open_locked(path: Path, force: bool) -> BinaryIO:
    """Open ``path`` to write a recording into, holding its lock (see lock.py) for as long as it is
    open. With ``force`` an existing file is emptied, but only once its lock is taken: never under
    a recorder still writing it."""
    # A pipe or a device exists already and holds nothing to lose: opened as it is, without --force.
    # (A FIFO's open waits for its reader, as any writer to one does.)
    special = path.exists() and not path.is_file()
    flags = os.O_WRONLY | os.O_CREAT | (0 if force or special else os.O_EXCL) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileExistsError:  # made since the check: never written over without --force
        raise RecordingExistsError(f"{path} already exists; use --force to overwrite it") from None
    except OSError as err:  # no permission, a full disk (a folder or a missing one: checked before)
        raise SmrError(f"cannot create {path}: {err.strerror}") from None
    try:
        if not lock_for_writing(fd):
            raise RecordingBusyError(f"{path} is being recorded by another smr-sense right now; write to another file")
        if force and stat.S_ISREG(os.fstat(fd).st_mode):
            os.ftruncate(fd, 0)
        # Unbuffered: a flush is one write of whole chunks, and after a refused one the file
        # holds exactly what the operating system took (nothing left in a buffer to retry).
        return open(fd, "wb", buffering=0)  # noqa: SIM115 - lives as long as the writer
    except OSError as err:
        os.close(fd)
        raise SmrError(f"cannot write {path}: {err.strerror}") from None
    except BaseException:
        os.close(fd)
        raise


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
        reading: tuple[str | os.PathLike[str], ...] = (),
    ) -> None:
        """``reading``: files the caller reads from (a replay's), never written over."""
        self.path = Path(path)
        self.info = info
        self.flush_interval_s = flush_interval_s
        self.fsync_interval_s = fsync_interval_s
        self.samples = 0  # samples appended (``written`` of them have reached the operating system)
        self.last_t_s: float | None = None
        self._dtype = fmt.row_dtype(info)
        self._pending: list[tuple[bytes, int]] = []  # encoded chunks and the samples in each
        self._pending_samples = 0
        self._chunk_samples = max(1, int(round(info.rate_hz * CHUNK_MAX_S)))
        self._last_flush = time.monotonic()
        self._last_fsync = self._last_flush
        self._file: BinaryIO | None = None
        check_output_path(self.path, force, reading)
        self._file = _open_locked(self.path, force)
        # A pipe or a device (``--out FIFO``, /dev/null) cannot seek, cut or fsync: chunks are
        # counted here, and a refused write is said as it is.
        self._regular = stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)
        self._bytes = 0  # bytes the operating system has taken: where the next chunk starts
        self.failed: str | None = None  # why writing stopped (the sentence raised once)
        self.written = 0  # samples the operating system has taken
        created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        header = fmt.Header(info, created, __version__, extra or {})
        try:
            self._write([(fmt.encode_header(header), 0)])
        except RecordingWriteError:
            self._release()
            if self.path.is_file():  # not even a header fitted: no file at all (never a device)
                self.path.unlink()
            raise

    def append(self, block: SampleBlock) -> None:
        if len(block) == 0 or self.failed is not None:
            return
        # A chunk holds at most CHUNK_MAX_S of stream time, whatever the wall clock says: a stream
        # faster than real time (a replay, the simulator) would otherwise put minutes in one
        # chunk, and damage to it would lose them all.
        step = self._chunk_samples
        for a in range(0, len(block), step):
            part = block if len(block) <= step else block.slice(a, min(a + step, len(block)))
            self._pending.append((fmt.encode_samples(part, self._dtype), len(part)))
            self._pending_samples += len(part)
            if self._pending_samples >= step:
                self.flush()
        self.samples += len(block)
        self.last_t_s = float(block.t_s[-1])
        self._maybe_flush()

    def mark(self, marker: Marker) -> None:
        """Markers are rare and precious (a gap, a group change): written at once."""
        if self.failed is not None:
            return
        self._pending.append((fmt.encode_marker(marker), 0))
        self.flush()

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    def flush(self, fsync: bool = False) -> None:
        if self._file is None or self.failed is not None:
            return
        now = time.monotonic()
        self._last_flush = now
        fsync = fsync or now - self._last_fsync >= self.fsync_interval_s
        if fsync:
            self._last_fsync = now
        chunks, self._pending = self._pending, []
        self._pending_samples = 0
        self._write(chunks, fsync)

    def _write(self, chunks: list[tuple[bytes, int]], fsync: bool = False) -> None:
        """Hand ``chunks`` to the operating system. A refusal (a full disk) is one sentence, said
        once; the file then ends after the last whole chunk that fitted, so it reads back as a
        recording cut off there, with every sample before it."""
        assert self._file is not None
        base = self._bytes
        data = b"".join(c for c, _ in chunks)
        try:
            self._put(data)
            self._bytes += len(data)
            if fsync and self._regular:
                os.fsync(self._file.fileno())
            self.written += sum(n for _, n in chunks)
            return
        except OSError as err:
            reason = err.strerror or str(err)
        # Keep as many whole chunks as fit, one by one, and cut the file after the last of them. (A
        # pipe whose reader left, or a full device, takes nothing back and nothing more.)
        if self._regular:
            self._keep_whole_chunks(base, chunks)
        self.failed = f"cannot write {self.path}: {reason}"
        if self.written:
            self.failed += f"; it keeps the {counted(self.written, 'sample')} written before"
        raise RecordingWriteError(self.failed) from None

    def _keep_whole_chunks(self, base: int, chunks: list[tuple[bytes, int]]) -> None:
        assert self._file is not None
        end = base
        try:
            os.ftruncate(self._file.fileno(), base)
            self._file.seek(base)
            for data, n in chunks:
                self._put(data)
                end += len(data)
                self.written += n
        except OSError:
            try:
                os.ftruncate(self._file.fileno(), end)
            except OSError:
                pass
        self._bytes = end

    def _put(self, data: bytes) -> None:
        assert self._file is not None
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) :]  # an unbuffered write may take only a part

    def close(self) -> None:
        if self._file is None:
            return
        try:
            if self.failed is None:
                self._pending.append((fmt.encode_end(self.samples, self.last_t_s), 0))
                self.flush(fsync=True)
        finally:
            self._release()

    def _release(self) -> None:
        file, self._file = self._file, None
        if file is None:
            return
        try:
            file.close()  # unbuffered, but a filesystem may report a deferred write error here (NFS)
        except OSError:
            if self.failed is None:
                raise

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

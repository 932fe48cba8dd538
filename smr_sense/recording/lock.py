"""The recorder's lock on the file it writes, so that no second writer mixes its chunks into it.

A recording is appended to for as long as the session lasts. ``record --out X --force`` started
on a file another recorder is still writing would truncate it under that recorder, whose next
chunks then land at its own file offset: both report success and the file holds pieces of each.
So a recorder holds an exclusive advisory lock (``flock``) on its file while it writes, and
``--force`` refuses a file whose lock is held. Readers ask the same lock whether a file is still
being written (a replay of it covers only what was there when it was read).

``flock`` locks belong to the open file, not the process: they end when the recorder's file is
closed, or when it dies (even by SIGKILL), so a crash never leaves a stale lock. Where there are
no such locks (Windows, a network filesystem that refuses them), recording goes on unguarded,
as it did before.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def lock_for_writing(fd: int) -> bool:
    """Take the exclusive lock on an open regular file: False when another writer holds it."""
    if fcntl is None or not stat.S_ISREG(os.fstat(fd).st_mode):  # a pipe or a device: nothing to mix
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # the filesystem has no locks: as before there were any
        return True
    return True


def being_recorded(path: str | os.PathLike[str]) -> bool:
    """Whether a recorder (in this process or another) is writing ``path`` right now."""
    if fcntl is None:
        return False
    try:
        fd = os.open(Path(path), os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not wait for a writer
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # the shared lock, if taken, goes with it
    return False

"""The virtual roller on a pseudo-terminal: to a serial source it is a roller on a USB serial port.

``PtyLink`` is the port: ``os.openpty()`` in raw mode (no echo, no line editing, so binary frames
pass unchanged). The emulator keeps the slave end open itself, so a host closing and reopening
the port does not hang up the master.

Unplugging (``--faults vanish``) closes both ends: the kernel removes ``/dev/pts/N`` and a host
reading it gets end-of-file, exactly what a serial source sees when a USB cable is pulled. Plugging
in again opens a new pty, whose number may differ, so the link also keeps a stable symlink
(``/tmp/smr-roller0`` by default) that is removed while unplugged and points at the new pty
after: a source opened on the symlink reconnects like one on ``/dev/ttyACM0`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tempfile
import termios
import tty
from pathlib import Path

from smr_sense.emulator.roller import VirtualRoller
from smr_sense.errors import SmrError

TICK_S = 0.005
MAX_PENDING_BYTES = 16384  # what a device's UART buffer would hold while nobody reads


def default_link_path() -> str:
    """The first free ``<tmp>/smr-rollerN``: a path stays free if its link is dangling (a crashed run)."""
    base = Path(tempfile.gettempdir())
    for i in range(100):
        candidate = base / f"smr-roller{i}"
        if not candidate.exists():  # nothing there, or a dangling link (exists() follows it)
            return str(candidate)
    raise OSError("no free /tmp/smr-rollerN path")


LINKS_DIR = "smr-sense-links"  # in the temp folder: one file per running emulator, named by its pid


def announce_link(link_path: str) -> Path:
    """Note a running emulator's link (one named with ``--link`` anywhere) for ``scan`` to find;
    the caller removes the note when it stops. Returns the note's path."""
    folder = Path(tempfile.gettempdir()) / LINKS_DIR
    folder.mkdir(exist_ok=True)
    note = folder / str(os.getpid())
    note.write_text(os.path.abspath(link_path))
    return note


def announced_links() -> list[Path]:
    """The links of emulators still running (a note left by a crashed one names a dead pid)."""
    folder = Path(tempfile.gettempdir()) / LINKS_DIR
    links = []
    for note in sorted(folder.glob("[0-9]*")) if folder.is_dir() else ():
        try:
            os.kill(int(note.name), 0)
        except ProcessLookupError:
            continue
        except (PermissionError, ValueError):
            pass  # another user's emulator is alive too; a stray name is read for what it says
        with contextlib.suppress(OSError, UnicodeDecodeError):
            links.append(Path(note.read_text().strip()))
    return links


class LinkTakenError(SmrError):
    """The link path is a file, or another running emulator's link: never replaced."""


class PtyLink:
    """A pseudo-terminal that can be unplugged and plugged in again, with an optional stable symlink.

    The symlink is only ever made where nothing is, or over a dangling link (a crashed run), and
    removed only while it still leads to this pty: a file of the user's, or the link of another
    emulator that is running, is never replaced or removed.
    """

    def __init__(self, link_path: str | None = None) -> None:
        self.link_path = link_path
        self.master: int | None = None
        self._slave: int | None = None
        self.slave_path: str | None = None

    @property
    def plugged(self) -> bool:
        return self.master is not None

    def _free_for_us(self) -> bool:
        """Whether the link may be (re)made; raises if it is a file or a live emulator's link the
        first time, and on a replug leaves a link another emulator took meanwhile alone (False)."""
        path = self.link_path
        assert path is not None
        if not os.path.lexists(path):
            return True
        if not os.path.islink(path):
            raise LinkTakenError(f"{path} exists and is not an emulator's link; choose another --link")
        if not os.path.exists(path):
            return True  # dangling: a crashed run's, or ours from before (unplugged, our pty is gone)
        # It leads to a live pty, and ours is closed while unplugged: another emulator's (a pty
        # number is reused, so comparing it with our old one would not tell).
        if self.slave_path is not None:
            return False  # it took the link while we were unplugged
        target = os.readlink(path)
        raise LinkTakenError(f"{path} is the link of another running emulator (to {target}); choose another --link")

    def plug(self) -> str:
        make_link = bool(self.link_path) and self._free_for_us()  # refuses before opening anything
        master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO  # setraw clears it too; said twice because echo would loop frames back
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.slave_path = os.ttyname(slave)
        if make_link:
            tmp = f"{self.link_path}.{os.getpid()}.new"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(self.slave_path, tmp)
            os.replace(tmp, self.link_path)  # atomic: a host never sees a half-made link
        return self.slave_path

    def unplug(self) -> None:
        if self.link_path and self._leads_here():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link_path)
        for fd in (self.master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = None

    def _leads_here(self) -> bool:
        try:
            return os.readlink(self.link_path or "") == self.slave_path
        except OSError:  # gone, or not a link
            return False


class PtyRoller:
    """Runs a :class:`VirtualRoller` on a :class:`PtyLink` in the event loop.

    ``start()`` plugs in and answers commands; ``emit(n)`` sends the next ``n`` samples now (tests
    drive it this way); ``run()`` paces samples in real time at the roller's rate and applies the
    vanish schedule. ``unplug()`` / ``replug()`` do by hand what ``vanish`` does on a timer.
    """

    def __init__(
        self, roller: VirtualRoller, link: PtyLink | None = None, max_pending_bytes: int = MAX_PENDING_BYTES
    ) -> None:
        self.roller = roller
        self.link = link or PtyLink()
        self.max_pending_bytes = max_pending_bytes
        self.bytes_dropped = 0
        self._pending = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer_registered = False
        self.streaming = asyncio.Event()  # set while the roller streams (tests await a host's "start")
        self.idle = asyncio.Event()  # ... and its opposite (tests await a host's "stop")

    @property
    def path(self) -> str:
        """The path to give a serial source: the stable link if there is one, else /dev/pts/N."""
        return self.link.link_path or self.link.slave_path or ""

    def start(self) -> str:
        self._loop = asyncio.get_running_loop()
        path = self.link.plug()
        assert self.link.master is not None
        self._loop.add_reader(self.link.master, self._on_host_bytes)
        self._sync_streaming()
        return path

    def emit(self, n: int) -> int:
        """Send the next ``n`` samples (if streaming); returns the bytes queued."""
        data = self.roller.produce(n)
        self._send(data)
        return len(data)

    def unplug(self) -> None:
        self._stop_io()
        self.link.unplug()
        self._pending.clear()
        self.roller.power_cycle()
        self._sync_streaming()

    def _sync_streaming(self) -> None:
        if self.roller.streaming:
            self.streaming.set()
            self.idle.clear()
        else:
            self.streaming.clear()
            self.idle.set()

    def replug(self) -> str:
        return self.start()

    def close(self) -> None:
        self._stop_io()
        self.link.unplug()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Stream in real time until ``stop`` is set; unplug and replug on the vanish schedule."""
        loop = asyncio.get_running_loop()
        stop = stop or asyncio.Event()
        plan = self.roller.faults.plan
        every_s = plan.vanish_every_s
        next_vanish = loop.time() + every_s if every_s else float("inf")
        paced_from: float | None = None
        paced_rate = self.roller.rate_hz
        produced = 0
        while not stop.is_set():
            now = loop.time()
            if now >= next_vanish:
                self.unplug()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), plan.vanish_for_s)
                if stop.is_set():
                    break
                self.replug()
                next_vanish = loop.time() + (every_s or float("inf"))
                paced_from = None
            if not self.roller.streaming or self.roller.rate_hz != paced_rate:
                paced_from, paced_rate, produced = None, self.roller.rate_hz, 0
            if self.roller.streaming:
                if paced_from is None:
                    paced_from, produced = now, 0
                due = int((now - paced_from) * self.roller.rate_hz) - produced
                if due > 0:
                    self.emit(due)
                    produced += due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_S)

    # --- inside --------------------------------------------------------------------------------

    def _on_host_bytes(self) -> None:
        master = self.link.master
        if master is None:
            return
        try:
            data = os.read(master, 4096)
        except BlockingIOError:
            return
        except OSError as err:
            if err.errno == errno.EIO:  # no one has the slave open: nothing to answer
                return
            raise
        if data:
            self._send(self.roller.receive(data))
            self._sync_streaming()

    def _send(self, data: bytes) -> None:
        if not data or self.link.master is None:
            return
        room = self.max_pending_bytes - len(self._pending)
        if len(data) > room:  # nobody is reading: the UART buffer overflows, newest bytes are lost
            self.bytes_dropped += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        self._pending += data
        self._flush()

    def _flush(self) -> None:
        master = self.link.master
        if master is None:
            return
        while self._pending:
            try:
                written = os.write(master, self._pending)
            except BlockingIOError:
                break
            except OSError:
                self._pending.clear()
                break
            del self._pending[:written]
        want_writer = bool(self._pending)
        if want_writer != self._writer_registered and self._loop is not None:
            if want_writer:
                self._loop.add_writer(master, self._flush)
            else:
                self._loop.remove_writer(master)
            self._writer_registered = want_writer

    def _stop_io(self) -> None:
        master = self.link.master
        if master is not None and self._loop is not None:
            self._loop.remove_reader(master)
            if self._writer_registered:
                self._loop.remove_writer(master)
        self._writer_registered = False

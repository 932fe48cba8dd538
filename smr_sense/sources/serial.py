"""``serial:PORT[?baud=115200&format=auto|reference|text&timeout=3&rate=HZ&columns=..]``: a roller on a serial port.

pyserial opens the port; one reader thread blocks in ``read`` and hands each chunk, stamped with
its arrival time, to the event loop (pyserial's own threaded-protocol pattern: it works for USB
serial, ptys and every OS, where an event-loop reader would not on macOS or Windows). Decoding
happens in the consumer's task. Pulling the cable ends the read with an error: the source marks
the gap and reopens the same path with backoff until the device is back.

``format=auto`` (the default) asks for device info in the reference protocol and then tells
reference frames from text lines by what arrives; ``reference`` and ``text`` force one. ``rate``
and ``columns`` (``columns=t_ms,left,right``: names for a text sketch's columns) concern text lines.
"""

from __future__ import annotations

import errno
import os
import threading
import time

import serial
import serial.tools.list_ports

from smr_sense.devices.profiles import DeviceProfile, get_profile
from smr_sense.sources.base import SourceError
from smr_sense.sources.link import LinkSource
from smr_sense.sources.spec import SourceSpec

OPTIONS = {"baud", "format", "timeout", "rate", "reconnect", "columns"}
FORMATS = {"auto": "auto", "reference": "reference", "text": "text"}
READ_CHUNK_MAX = 65536


def open_error_sentence(port: str, err: BaseException) -> str:
    """One sentence for why a port would not open, with what to do about it."""
    code = getattr(err, "errno", None)
    if code is None and isinstance(err.__context__, OSError):
        code = err.__context__.errno
    # pyserial wraps termios.error (not an OSError; its args are (errno, text)) when the path
    # opened but is no terminal, an ordinary file: "Could not configure port: (25, ...)".
    cause_args = getattr(err.__context__, "args", ())
    if code is None and len(cause_args) == 2 and isinstance(cause_args[0], int):
        code = cause_args[0]
    if code == errno.ENOENT:
        return f"serial port {port} does not exist; `smr-sense scan` lists the ports there are"
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"no permission to open serial port {port}; add yourself to its group "
            "(on most Linux systems: sudo usermod -aG dialout $USER, then log in again)"
        )
    if code in (errno.EBUSY, errno.EAGAIN):
        return f"serial port {port} is busy: another program (a serial monitor?) has it open"
    if code in (errno.ENOTTY, errno.EINVAL):
        return f"{port} is not a serial port"
    if code == errno.ENXIO:
        return f"serial port {port} has no device behind it (unplugged?)"
    detail = os.strerror(code) if code else str(err)
    return f"could not open serial port {port}: {detail}"


class SerialSource(LinkSource):
    backoff_max_s = 1.0  # reopening a path that is not there yet costs nothing: look often

    def __init__(self, spec: str, port: str, baud: int, profile: DeviceProfile, **kwargs: object) -> None:
        super().__init__(spec, profile, **kwargs)  # type: ignore[arg-type]
        self.port = port
        self.baud = baud
        self._serial: serial.Serial | None = None
        self._reader: threading.Thread | None = None
        self._write_lock = threading.Lock()

    def _describe_link(self) -> str:
        return f"the serial port {self.port}"

    def _identity(self) -> tuple[str, str]:
        real = os.path.realpath(self.port)
        for info in serial.tools.list_ports.comports():
            if info.device in (self.port, real) and info.serial_number:
                return f"usb:{info.serial_number}", info.description or self.port
        return f"serial:{self.port}", self.port

    def _mismatch_hint(self) -> str:
        fmt = {"reference": "format=text", "text": "format=reference"}.get(self.profile.decoder, "")
        hint = f" (check baud={self.baud}" + (f", or try {fmt}" if fmt else "") + ")"
        return hint

    async def _connect(self) -> None:
        try:
            port = serial.Serial(
                self.port,
                self.baud,
                timeout=None,  # the reader blocks; cancel_read() wakes it on close
                write_timeout=1.0,
                exclusive=True,  # a second program on the same port is refused, not interleaved
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise SourceError(open_error_sentence(self.port, err)) from None
        port.reset_input_buffer()  # bytes from before we listened are from another session
        self._serial = port
        link = self._link
        self._reader = threading.Thread(
            target=self._read_forever, args=(port, link), name=f"serial-reader {self.port}", daemon=True
        )
        self._reader.start()

    def _read_forever(self, port: serial.Serial, link: int) -> None:
        """The reader thread: block for bytes, hand them over with their arrival time, never parse."""
        while True:
            try:
                data = port.read(max(1, min(port.in_waiting, READ_CHUNK_MAX)))
            except (serial.SerialException, OSError, TypeError, AttributeError) as err:
                if port.is_open and not self._closing:
                    self._link_lost_threadsafe(_lost_reason(err), link)
                return
            if not port.is_open or link != self._link:
                return
            if not data:  # with timeout=None, read returns empty only when cancelled: closing or reconnecting
                return
            self._deliver_threadsafe(data, time.time(), link)

    async def _disconnect(self) -> None:
        port, self._serial = self._serial, None
        reader, self._reader = self._reader, None
        if port is None:
            return
        try:
            port.cancel_read()
        except Exception:  # noqa: BLE001 (a port whose device vanished may fail anything)
            pass
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=2.0)
        try:
            port.close()
        except Exception:  # noqa: BLE001
            pass

    async def _write(self, data: bytes) -> None:
        port = self._serial
        if port is None:
            raise SourceError(f"{self._describe_link()} is not open")
        try:
            with self._write_lock:
                port.write(data)
        except (serial.SerialException, OSError) as err:
            raise SourceError(f"could not write to {self._describe_link()}: {_lost_reason(err)}") from None


def _lost_reason(err: BaseException) -> str:
    code = getattr(err, "errno", None)
    if code is not None:
        return os.strerror(code).lower()
    text = str(err)
    if "returned no data" in text:
        return "the device was unplugged"
    return text or type(err).__name__


def make_source(spec: SourceSpec) -> SerialSource:
    spec.check_options(OPTIONS)
    if not spec.target:
        raise SourceError("serial needs a port, e.g. serial:/dev/ttyUSB0 (`smr-sense scan` lists them)")
    fmt = spec.option("format", "auto") or "auto"
    if fmt not in FORMATS:
        raise SourceError(f"serial format '{fmt}' is not known: use auto, reference or text")
    profile = get_profile(FORMATS[fmt], "serial")
    baud = spec.int_option("baud", profile.baud)
    if baud <= 0:
        raise SourceError(f"baud must be positive, got {baud}")
    timeout_s = spec.positive_option("timeout", 3.0, "a time in seconds")
    rate = spec.options.get("rate")
    return SerialSource(
        spec.text,
        spec.target,
        baud,
        profile,
        handshake_timeout_s=timeout_s,
        reconnect=spec.bool_option("reconnect", True),
        text_rate_hz=spec.positive_option("rate", 0.0, "a rate in samples per second") if rate is not None else None,
        text_columns=spec.columns_option(),
    )

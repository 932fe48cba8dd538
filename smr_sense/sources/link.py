"""What the serial and BLE sources share: a device link that can drop, and comes back.

A transport (serial port, BLE client) only moves bytes: its callbacks call :meth:`_deliver` with
what arrived, stamped with the host time of arrival, and :meth:`_link_lost` when the link drops.
Both only put an event on a queue. The link's own task (the pump) decodes (``DeviceStream``) and
hands items to whoever iterates the source; it also owns reconnecting, so a link comes back even
while nobody iterates. When the link drops, the stream yields ``Marker(t, "disconnected")``, the
pump reconnects with backoff and repeats the profile's handshake, and the stream goes on with
``Marker(t, "reconnected")`` before the first new block. A link that stays open but sends nothing
for ``handshake_timeout_s`` has dropped too. ``stats`` (samples, lost, corrupt,
reconnects, connected, state) stay live throughout; ``last_error`` says why the latest reconnect
attempt failed.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.core.wire.text_rate import assumed_rate_warning
from smr_sense.devices.profiles import DeviceProfile, ProfileError
from smr_sense.devices.stream import HEADER_WAIT_S, DeviceStream
from smr_sense.sources.base import Source, SourceError, SourceItem

BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0
CLOSE_COMMAND_TIMEOUT_S = 1.0
HANDSHAKE_RESEND_S = 0.5


@dataclass(frozen=True)
class _Chunk:
    link: int
    host_t_s: float
    data: bytes


@dataclass(frozen=True)
class _Lost:
    link: int
    host_t_s: float
    reason: str


@dataclass(frozen=True)
class _Ended:
    reason: str


_CLOSED = object()


class LinkSource(Source, abc.ABC):
    """Base of sources that talk to a device over a link. Subclasses implement the transport hooks.

    Hooks: ``_connect()`` (open the link and start delivering; raise :class:`SourceError` with one
    sentence when it cannot), ``_disconnect()`` (release it; never raises), ``_write(data)``,
    ``_describe_link()`` (e.g. "the serial port /dev/ttyUSB0", for messages).
    """

    #: longest wait between reconnect attempts (a BLE attempt scans, a serial one is a cheap open)
    backoff_max_s = BACKOFF_MAX_S

    def __init__(
        self,
        spec: str,
        profile: DeviceProfile | None,
        *,
        handshake_timeout_s: float = 3.0,
        reconnect: bool = True,
        text_rate_hz: float | None = None,
        text_columns: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(spec)
        self.profile: DeviceProfile = profile  # type: ignore[assignment]  # BLE learns it on connect
        self.handshake_timeout_s = handshake_timeout_s
        self.reconnect = reconnect
        self.text_rate_hz = text_rate_hz
        self.text_columns = text_columns
        self.last_error: str | None = None
        self._events: asyncio.Queue[Any] = asyncio.Queue()  # from the transport: bytes, link lost
        self._out: asyncio.Queue[Any] = asyncio.Queue()  # to the consumer: items, end
        self._loop: asyncio.AbstractEventLoop | None = None
        self._link = 0  # generation of the current link; events of older links are stale
        self._stream: DeviceStream | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._closing = False
        self._token = 0

    # --- transport hooks ----------------------------------------------------------------------

    @abc.abstractmethod
    async def _connect(self) -> None: ...

    @abc.abstractmethod
    async def _disconnect(self) -> None: ...

    @abc.abstractmethod
    async def _write(self, data: bytes) -> None: ...

    @abc.abstractmethod
    def _describe_link(self) -> str: ...

    def _identity(self) -> tuple[str, str]:
        """(device_id, device_name) before the device tells its own."""
        return self.spec, self.spec

    # --- called by transports (on the event loop thread, or through _deliver_threadsafe) ------

    def _deliver(self, data: bytes, host_t_s: float | None = None, link: int | None = None) -> None:
        self._events.put_nowait(_Chunk(self._link if link is None else link, host_t_s or time.time(), data))

    def _deliver_threadsafe(self, data: bytes, host_t_s: float, link: int) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is listening
            self._loop.call_soon_threadsafe(self._deliver, data, host_t_s, link)

    def _link_lost(self, reason: str, link: int | None = None) -> None:
        self._events.put_nowait(_Lost(self._link if link is None else link, time.time(), reason))

    def _link_lost_threadsafe(self, reason: str, link: int) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is listening
            self._loop.call_soon_threadsafe(self._link_lost, reason, link)

    # --- Source --------------------------------------------------------------------------------

    async def _open(self) -> StreamInfo:
        self._loop = asyncio.get_running_loop()
        self.stats.state = "connecting"
        await self._connect_once()
        assert self.profile is not None, "a transport's _connect must settle the profile"
        device_id, device_name = self._identity()
        self._stream = DeviceStream(
            self.profile,
            self.spec,
            device_id,
            device_name,
            self.text_rate_hz,
            self.text_columns,
            # the wait for a text header must leave the handshake time to describe the stream
            header_wait_s=min(HEADER_WAIT_S, self.handshake_timeout_s / 2),
        )
        try:
            await self._handshake()
        except BaseException:
            await self._disconnect()
            raise
        self.stats.connected = True
        self.stats.state = "streaming"
        self._pump_task = asyncio.create_task(self._pump(), name=f"link {self.spec}")
        assert self._stream.info is not None
        return self._stream.info

    @property
    def warnings(self) -> list[str]:
        """Said once the stream is open: text columns no header named, and text lines timed at an
        assumed rate (no time column, or stamps that give no rate a roller streams at)."""
        info = self._stream.info if self._stream is not None else None
        if info is None:
            return []
        said = []
        if info.extra.get("names") == "position":
            # A header printed once at boot, before the port was opened, is gone: its time column
            # would now be a force channel, and nothing else would say so.
            columns = info.extra.get("columns", [])
            named = self._with_option("columns=" + ",".join(["NAME"] * len(columns)))
            said.append(
                f"{self.spec} printed no header naming its columns, so they are read as {', '.join(columns)}; "
                f"if its sketch prints one only when it starts, name them in the source ({named}), "
                "or a time column is read as a force"
            )
        # No time column, or one whose stamps give no rate a roller streams at: the rate is assumed.
        if said_rate := assumed_rate_warning(info, self._with_option("rate=HZ")):
            said.append(said_rate)
        return said

    async def _close(self) -> None:
        self._closing = True
        pump, self._pump_task = self._pump_task, None
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        if self.stats.connected and self.profile is not None and self.profile.on_close:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_COMMAND_TIMEOUT_S):
                    for name in self.profile.on_close:
                        await self._write(self.profile.encode_command(name))
        await self._disconnect()
        self._out.put_nowait(_CLOSED)

    async def command(self, name: str, **args: Any) -> None:
        if self.profile is None:
            raise SourceError(f"source {self.spec} is not open yet")
        try:
            if self.profile.speaks_reference and not self.profile.commands:
                self._token = (self._token + 1) % 256
                args.setdefault("token", self._token)
            data = self.profile.encode_command(name, **args)
        except ProfileError as err:
            raise SourceError(str(err)) from None
        if not self.stats.connected:
            raise SourceError(f"{self._describe_link()} is not connected right now; try again once it is back")
        await self._write(data)

    async def _items(self) -> AsyncIterator[SourceItem]:
        # Items wait in a queue filled by the pump task, not in this generator: a consumer may stop
        # iterating at any item and iterate again, losing nothing, and the link reconnects meanwhile.
        if self._stream is None:
            raise SourceError(f"source {self.spec} is not open yet")
        while True:
            item = await self._out.get()
            if item is _CLOSED:
                self._out.put_nowait(_CLOSED)  # a later iteration ends too
                return
            if isinstance(item, _Ended):
                self._out.put_nowait(item)
                raise SourceError(item.reason)
            if isinstance(item, Marker) and item.kind == "device_info":
                self._info = self._stream.info
            yield item

    # --- inside --------------------------------------------------------------------------------

    async def _pump(self) -> None:
        """The link's own task: decode what arrives, mark drops, reconnect. Runs until close."""
        stream = self._stream
        assert stream is not None
        try:
            while True:
                try:
                    # The same wait as for a device's first data: a port that stays open and silent (a
                    # hung board, a stopped process) is a lost link too. Nothing else would say so, and
                    # the dashboard showed "streaming" over a frozen force, where no cap can sound.
                    event = await asyncio.wait_for(self._events.get(), self.handshake_timeout_s)
                except TimeoutError:
                    event = _Lost(self._link, time.time(), f"no data for {self.handshake_timeout_s:g} s")
                if event.link != self._link:
                    continue  # from a link that is gone
                if isinstance(event, _Chunk):
                    self._emit(stream.feed(event.data, event.host_t_s))
                    if stream.new_layout is not None:
                        # Every later frame would be dropped as the wrong width while bytes kept
                        # coming: no loss to mark, no sample to time, and record --duration never ended.
                        await self._disconnect()
                        self._end(self._layout_changed_sentence(stream))
                        return
                    if not stream.refused:
                        continue
                    # Another device took the link without it dropping: as a drop, then find ours.
                    self.last_error = stream.refused
                    event = _Lost(self._link, event.host_t_s, stream.refused)
                self.stats.connected = False
                self.stats.state = "reconnecting" if self.reconnect else "ended"
                self._emit([stream.link_lost(event.host_t_s, event.reason)])
                await self._disconnect()
                if not self.reconnect:
                    self._end(f"{self._describe_link()} went away ({event.reason})")
                    return
                await self._reconnect()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bug must end the stream with a sentence, not hang the consumer
            self._end(f"{self._describe_link()} failed: {err or type(err).__name__}")

    def _with_option(self, option: str) -> str:
        return self.spec + ("&" if "?" in self.spec else "?") + option

    def _layout_changed_sentence(self, stream: DeviceStream) -> str:
        link = self._describe_link()
        if stream.late_columns and stream.info is not None:
            # The header came after the wait for it: the samples so far were read by position,
            # a time column perhaps as a force. Naming the columns in the source needs no header.
            named = self._with_option("columns=" + ",".join(stream.late_columns))
            return (
                f"{link} printed its column names ({', '.join(stream.late_columns)}) only after its lines had "
                f"been read as {', '.join(stream.info.extra.get('columns', []))}; start again with the columns "
                f"named ({named}), or have the sketch print its header every second"
            )
        return (
            f"{link} changed its channels mid-session (now {', '.join(stream.new_layout or [])}); "
            "a session keeps one layout, so start a new one"
        )

    def _end(self, reason: str) -> None:
        """The stream ends here for good: whoever iterates gets ``reason`` as a SourceError."""
        self.stats.connected = False
        self.stats.state = "ended"
        self._out.put_nowait(_Ended(reason))

    def _emit(self, items: list[SourceItem]) -> None:
        for item in items:
            if isinstance(item, SampleBlock):
                self.stats.count(len(item))
            self._out.put_nowait(item)
        self._sync_stats()

    async def _connect_once(self) -> None:
        self._link += 1
        await self._connect()

    async def _handshake(self) -> None:
        """Send the profile's opening commands until the device has described itself.

        They are sent again every half second: opening a port resets many Arduino boards, whose
        bootloader then ignores what arrives for a second or two.
        """
        stream = self._stream
        assert stream is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.handshake_timeout_s
        resend_at = loop.time()
        while True:
            now = loop.time()
            if now >= resend_at and self.profile.on_connect:
                for name in self.profile.on_connect:
                    await self._write(self.profile.encode_command(name))
                resend_at = now + HANDSHAKE_RESEND_S
            if stream.refused:
                raise SourceError(stream.refused)
            if stream.ready:
                break
            remaining = deadline - now
            try:
                if remaining <= 0:
                    raise TimeoutError
                wait = min(remaining, max(resend_at - now, 0.0)) if self.profile.on_connect else remaining
                event = await asyncio.wait_for(self._events.get(), wait)
            except TimeoutError:
                if loop.time() < deadline:
                    continue  # time to send the commands again
                raise SourceError(self._mismatch_sentence(stream.diagnosis())) from None
            if event.link != self._link:
                continue
            if isinstance(event, _Lost):
                raise SourceError(f"{self._describe_link()} went away while connecting ({event.reason})")
            self._emit(stream.feed(event.data, event.host_t_s))

    def _mismatch_sentence(self, what: str) -> str:
        # A link whose frames decode has the right baud rate and profile: advice about those misleads.
        understood = self._stream is not None and self._stream.understood
        return (
            f"no roller data from {self._describe_link()} within {self.handshake_timeout_s:g} s "
            f"(profile {self.profile.name}): {what}{'' if understood else self._mismatch_hint()}"
        )

    def _mismatch_hint(self) -> str:
        return ""

    async def _reconnect(self) -> None:
        """Try again and again, waiting longer each time, until the device is back (or we close)."""
        assert self._stream is not None
        delay = BACKOFF_FIRST_S
        while True:
            try:
                await self._connect_once()
                self._stream.link_restored()
                await self._handshake()
            except SourceError as err:
                self.last_error = str(err)
                await self._disconnect()
            else:
                self.stats.reconnects += 1
                self.stats.connected = True
                self.stats.state = "streaming"
                self.last_error = None
                return
            await asyncio.sleep(delay)  # backoff between attempts, not a synchronisation
            delay = min(delay * 2, self.backoff_max_s)

    def _sync_stats(self) -> None:
        assert self._stream is not None
        self.stats.lost = self._stream.lost
        self.stats.corrupt = self._stream.corrupt

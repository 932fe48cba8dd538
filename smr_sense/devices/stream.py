"""One device's byte stream in, a source's items out: the pure part of the serial and BLE sources.

``DeviceStream`` owns the wire decoder a profile names and everything a link needs besides I/O:
it learns the stream's description (device info, a text header, or the profile's fixed layout),
stamps each block with the host time its bytes arrived, keeps stream time increasing across a
reconnect (a device that restarted begins its clock again), and marks the gap. No I/O, no clock
reads: the source passes the receive time in. Like the decoders, it never raises on bad input.
Rows a text decoder held before describing them (waiting for a header, or for the stamps its rate is
read from) carry the host time they were let out, up to ``HEADER_WAIT_S`` after they arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.core.wire import (
    Command,
    CommandReply,
    DecoderStats,
    DeviceInfo,
    ReferenceDecoder,
    TextLineDecoder,
    TindeqDecoder,
    TindeqResponse,
    sniff_format,
)
from smr_sense.devices.profiles import DeviceProfile

SNIFF_LIMIT_BYTES = 8192  # an undecided "auto" link keeps at most this much to judge by
# How long plain-number text lines wait, on a first connection, for the header that names them:
# the host empties the port's input on opening, so a header printed once at boot is gone, and
# firmware_notes/protocol.md section 10 asks sketches to print theirs every second or so.
HEADER_WAIT_S = 1.5
REPLY_MARKERS = ("tare", "set_rate")  # replies that change what the samples mean go in the recording


@dataclass
class _Totals:
    corrupt: int = 0
    lost: int = 0
    bytes_discarded: int = 0


ANOTHER_DEVICE = "another device answered"  # how a refused device's sentence begins


def is_another_device(error: str | None) -> bool:
    """A link's last error says it refused another roller (not the session's) that answered."""
    return bool(error) and error.startswith(ANOTHER_DEVICE)


class DeviceStream:
    """Feed it ``(bytes, host_t_s)`` with :meth:`feed`; it returns ``SampleBlock`` and ``Marker`` items.

    ``info`` is None until the device has described itself; ``ready`` is True once the current
    connection has (set again after :meth:`link_restored`). Blocks that arrive before the first
    description are dropped: the stream has not started yet.
    """

    def __init__(
        self,
        profile: DeviceProfile,
        source: str,
        device_id: str,
        device_name: str,
        text_rate_hz: float | None = None,
        text_columns: tuple[str, ...] | None = None,
        header_wait_s: float = HEADER_WAIT_S,
    ) -> None:
        self.profile = profile
        self.source = source
        self.device_id = device_id
        self.device_name = device_name
        self.text_rate_hz = text_rate_hz
        self.text_columns = tuple(text_columns) if text_columns else None
        self.header_wait_s = header_wait_s
        self.info: StreamInfo | None = None
        self.ready = False
        # Why this connection's device is not the session's (another roller answered after a
        # reconnect): one sentence; its samples are refused. Cleared by the next connection.
        self.refused: str | None = None
        self.format: str | None = None  # the decoder in use: reference, text or tindeq
        self.bytes_in = 0
        self.replies: list[CommandReply] = []
        self._decoder: Any = None
        self._sniffed = bytearray()
        self._done = _Totals()
        self._last_t_s: float | None = None
        self._last_host_s: float | None = None
        self._offset_s = 0.0
        self._resume: dict[str, Any] | None = None  # set by link_lost, consumed by the next block
        self.new_layout: list[str] | None = None  # the channels a device changed to mid-stream
        # ... when that change was a text sketch's header naming, late, the columns it had been read
        # by position (ch0, ch1 ...) for want of one: all its columns, time too
        self.late_columns: list[str] | None = None
        self._first_bytes_s: float | None = None  # host time this connection's first bytes came
        self._start_decoder()

    # --- the link's life -------------------------------------------------------------------

    def link_lost(self, host_t_s: float, reason: str) -> Marker:
        """The link dropped: returns the ``disconnected`` marker, stamped at the last sample."""
        self._fold_decoder_stats()
        self._decoder = None
        self.ready = False
        self._resume = {"host_t_s": host_t_s, "reason": reason}
        return Marker(self._last_t_s if self._last_t_s is not None else 0.0, "disconnected", {"reason": reason})

    def link_restored(self) -> None:
        """A new connection: a fresh decoder (the device may have restarted mid-frame)."""
        self.refused = None
        self._start_decoder()

    # --- bytes in ---------------------------------------------------------------------------

    def feed(self, data: bytes, host_t_s: float) -> list[SampleBlock | Marker]:
        self.bytes_in += len(data)
        if self._first_bytes_s is None:
            self._first_bytes_s = host_t_s
        out: list[SampleBlock | Marker] = []
        if self._decoder is None:
            self._sniff(data)
            if self._decoder is None:
                return out
            data, self._sniffed = bytes(self._sniffed), bytearray()
        decoded = self._decoder.feed(data)
        waited_s = host_t_s - self._first_bytes_s
        if self.format == "text" and self._decoder.awaiting_header and waited_s >= self.header_wait_s:
            decoded += self._decoder.stop_awaiting_header()  # no header came: ch0, ch1 ... it is
        for item in decoded:
            if isinstance(item, SampleBlock):
                block = self._accept_block(item, host_t_s, out)
                if block is not None:
                    out.append(block)
            elif isinstance(item, DeviceInfo):
                self._describe(item.to_stream_info(self.source, profile=self.profile.name), out)
            elif isinstance(item, StreamInfo):
                self._describe(replace(item, extra={**item.extra, "profile": self.profile.name}), out)
            elif isinstance(item, CommandReply):
                self.replies.append(item)
                del self.replies[:-32]
                if item.command in REPLY_MARKERS and self._last_t_s is not None:
                    data_ = {"command": item.command, "status": item.status, "value": item.value}
                    out.append(Marker(self._last_t_s, "command", data_))
            elif isinstance(item, (TindeqResponse, Command)):
                pass  # battery level / low-power notes and echoed commands do not go in the stream
        return out

    # --- statistics, for LinkStats and error messages ---------------------------------------

    def decoder_stats(self) -> DecoderStats:
        if self._decoder is None:
            return DecoderStats()
        return self._decoder.stats

    @property
    def corrupt(self) -> int:
        return self._done.corrupt + self.decoder_stats().corrupt

    @property
    def lost(self) -> int:
        return self._done.lost + self.decoder_stats().lost

    def diagnosis(self) -> str:
        """Why the device has not described itself yet, as the end of a sentence."""
        if self.bytes_in == 0:
            return "nothing arrived"
        if self._decoder is None:
            return f"{self.bytes_in} bytes arrived that are neither reference frames nor text lines"
        stats = self.decoder_stats()
        if self.format == "reference":
            if stats.frames:
                # Frames decode, so the baud rate and the format are right: the firmware is at fault.
                unreadable = self._decoder.info_error
                if unreadable:
                    return f"frames arrived, but the device information it sent could not be read ({unreadable})"
                return (
                    "frames arrived but no device information: the firmware must send it in reply to get_info "
                    "(firmware_notes/protocol.md, section 4)"
                )
            return f"{self.bytes_in} bytes arrived but not one valid reference frame"
        if self.format == "text":
            if self.text_columns:
                given = f"{len(self.text_columns)} columns given ({', '.join(self.text_columns)})"
                return f"{self.bytes_in} bytes arrived but no text line of the {given}"
            return f"{self.bytes_in} bytes arrived but no two text lines with the same columns"
        return f"{self.bytes_in} bytes arrived but no samples"

    @property
    def understood(self) -> bool:
        """Whole frames of the device's protocol have arrived: its baud rate and format are right."""
        return self.format == "reference" and self.decoder_stats().frames > 0

    # --- inside -----------------------------------------------------------------------------

    def _start_decoder(self) -> None:
        self._sniffed = bytearray()
        self._first_bytes_s = None
        self.new_layout = None
        self.late_columns = None
        decoder = self.profile.decoder if self.format is None else self.format
        if decoder == "auto":
            self._decoder = None  # chosen by what arrives
            self.ready = False
        else:
            self._use(decoder)

    def _use(self, fmt: str) -> None:
        self.format = fmt
        if fmt == "reference":
            self._decoder = ReferenceDecoder()
        elif fmt == "text":
            # A reconnect takes the session's columns as a header already seen: a sketch that
            # printed its header at boot, or prints it now and then, has rows of the same names.
            known = self.info.extra.get("columns") if self.info is not None else None
            self._decoder = TextLineDecoder(
                format="auto",
                rate_hz=self.text_rate_hz,
                source=self.source,
                device_id=self.device_id,
                device_name=self.device_name,
                columns=self.text_columns,
                header=tuple(known) if known else None,
                await_header=True,
            )
        else:
            self._decoder = TindeqDecoder()
        self.ready = False
        if fmt == "tindeq":
            # the Progressor never describes itself: the profile says what it streams
            self._describe(self._profile_info(), [])

    def _sniff(self, data: bytes) -> None:
        self._sniffed += data
        if len(self._sniffed) > SNIFF_LIMIT_BYTES:
            del self._sniffed[: len(self._sniffed) - SNIFF_LIMIT_BYTES]
        fmt = sniff_format(bytes(self._sniffed))
        if fmt is not None:
            self._use(fmt)

    def _profile_info(self) -> StreamInfo:
        profile = self.profile
        return StreamInfo(
            source=self.source,
            device_id=self.device_id,
            device_name=self.device_name,
            channels=profile.channels,
            rate_hz=profile.rate_hz or 80.0,
            extra={"profile": profile.name},
        )

    def _describe(self, info: StreamInfo, out: list[SampleBlock | Marker]) -> None:
        if self.info is not None and info.device_id != self.info.device_id:
            # Another roller on the same port or name (a board re-enumerated, a second emulator):
            # its calibration and its person are not this session's.
            self.refused = (
                f"{ANOTHER_DEVICE} on {self.source} (id {info.device_id}, "
                f"not {self.info.device_id}): waiting for the session's roller"
            )
            self.ready = False
            return
        self.ready = True
        if self.info is None:
            self.info = info
            return
        if info.channels != self.info.channels:
            # the stream's layout is fixed once open; blocks of another width are dropped below
            if self.new_layout is None:
                self.new_layout = [c.name for c in info.channels]
                before, after = self.info.extra, info.extra
                named_late = before.get("names") == "position" and after.get("names") == "header"
                if named_late and len(before.get("columns", [])) == len(after.get("columns", [])):
                    self.late_columns = list(after["columns"])
                out.append(Marker(self._last_t_s or 0.0, "layout_changed", {"channels": list(self.new_layout)}))
            return
        changed = {
            k: v for k, v in (("rate_hz", info.rate_hz), ("firmware", info.firmware)) if getattr(self.info, k) != v
        }
        if changed:
            self.info = replace(self.info, **changed)
            out.append(Marker(self._last_t_s or 0.0, "device_info", dict(changed)))

    def _accept_block(self, block: SampleBlock, host_t_s: float, out: list[SampleBlock | Marker]) -> SampleBlock | None:
        info = self.info
        if info is None or not self.ready or self.refused or len(block) == 0:
            return None
        if block.n_channels != info.n_channels:
            self._done.corrupt += len(block)
            return None
        if self._resume is not None:
            self._rebase(block, host_t_s, out)
        t_s = block.t_s + self._offset_s if self._offset_s else block.t_s
        self._last_t_s = float(t_s[-1])
        self._last_host_s = host_t_s
        gyro = block.gyro_dps if info.has_gyro else None
        accel = block.accel_g if info.has_accel else None
        if info.has_gyro and gyro is None:
            gyro = np.full((len(block), 3), np.nan, np.float32)
        if info.has_accel and accel is None:
            accel = np.full((len(block), 3), np.nan, np.float32)
        return SampleBlock(t_s, block.raw, gyro, accel, np.full(len(block), host_t_s))

    def _rebase(self, block: SampleBlock, host_t_s: float, out: list[SampleBlock | Marker]) -> None:
        """First block after a reconnect: keep stream time increasing and mark where it resumes."""
        assert self._resume is not None
        resume, self._resume = self._resume, None
        first = float(block.t_s[0])
        if self._last_t_s is None:  # lost before the first sample: nothing to continue from
            out.append(Marker(first + self._offset_s, "reconnected", {"after": resume["reason"]}))
            return
        offline_s = max(0.0, host_t_s - (self._last_host_s if self._last_host_s is not None else host_t_s))
        if first + self._offset_s <= self._last_t_s:
            # the device's clock started again (it restarted): continue from the last sample,
            # advanced by the time the link was down as the host saw it
            period_s = 1.0 / self.info.rate_hz if self.info else 0.0
            self._offset_s = self._last_t_s + max(offline_s, period_s) - first
        resumed = first + self._offset_s
        data = {"gap_s": resumed - self._last_t_s, "offline_s": offline_s, "after": resume["reason"]}
        out.append(Marker(resumed, "reconnected", data))

    def _fold_decoder_stats(self) -> None:
        stats = self.decoder_stats()
        self._done.corrupt += stats.corrupt
        self._done.lost += stats.lost
        self._done.bytes_discarded += stats.bytes_discarded

"""What the wire decoders produce besides samples: device info, commands, replies, statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smr_sense.core.samples import Channel, StreamInfo


@dataclass(frozen=True)
class DeviceInfo:
    """A device describing itself (reference protocol frame type 2).

    ``firmware`` is ``"major.minor.patch"``; ``rate_hz`` the nominal sample rate; ``channels`` the
    pressure channels in the order the sample frames carry them.
    """

    device_id: str
    device_name: str
    firmware: str
    rate_hz: float
    channels: tuple[Channel, ...]
    has_gyro: bool = False
    has_accel: bool = False
    roller_radius_m: float | None = None
    protocol_version: int = 1

    def to_stream_info(self, source: str, **extra: Any) -> StreamInfo:
        """The stream description a source reports for this device."""
        return StreamInfo(
            source=source,
            device_id=self.device_id,
            device_name=self.device_name,
            channels=self.channels,
            rate_hz=self.rate_hz,
            has_gyro=self.has_gyro,
            has_accel=self.has_accel,
            firmware=self.firmware,
            roller_radius_m=self.roller_radius_m,
            extra={"protocol_version": self.protocol_version, **extra},
        )


@dataclass(frozen=True)
class Command:
    """A host command (frame type 3). The emulated device decodes these from what the host writes.

    ``name`` is one of start, stop, tare, set_rate, get_info (or ``"0x.."`` for a code this host does
    not know); ``token`` is echoed in the reply so the host can match them; ``rate_hz`` is set_rate's
    argument.
    """

    name: str
    token: int = 0
    rate_hz: float | None = None


@dataclass(frozen=True)
class CommandReply:
    """The device's answer to a command (frame type 4).

    ``status`` is ok, unknown_command, bad_argument or failed (``"0x.."`` if unknown);
    ``value`` is the command's result when it has one (set_rate: the rate actually set).
    """

    command: str
    token: int
    status: str
    value: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class DecoderStats:
    """Running counts kept by a decoder.

    - ``frames``: valid frames (or text lines, or Tindeq messages) decoded
    - ``samples``: samples delivered in blocks
    - ``corrupt``: frames whose checksum failed, or messages that could not be parsed
    - ``lost``: samples missing according to sequence-number gaps
    - ``bytes_discarded``: bytes skipped while hunting for the next frame
    - ``unsupported``: valid frames of a protocol version or type this host does not handle (skipped)
    - ``time_resets``: device clock going backwards (a device restart); time continues monotonically
    """

    frames: int = 0
    samples: int = 0
    corrupt: int = 0
    lost: int = 0
    bytes_discarded: int = 0
    unsupported: int = 0
    time_resets: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            "frames": self.frames,
            "samples": self.samples,
            "corrupt": self.corrupt,
            "lost": self.lost,
            "bytes_discarded": self.bytes_discarded,
            "unsupported": self.unsupported,
            "time_resets": self.time_resets,
            **self.extra,
        }

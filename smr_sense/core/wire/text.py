"""Sans-I/O decoder for the text lines hobby sketches already print.

Accepted, one sample per line (``\\n`` or ``\\r\\n``):

- Arduino Serial Plotter, labelled: ``load:1234,fsr0:56`` (pairs split by comma, tab, semicolon or
  space); the labels name the channels.
- Plain numbers: ``1234 56`` or ``1234,56`` or tab separated; channels are named ``ch0, ch1 ...``.
- CSV with a header line: ``t_ms,left,right`` then ``10,1234,56``.

A column named time_s/t_s/time/t (seconds), t_ms/time_ms/millis/ms (milliseconds) or
t_us/time_us/micros/us (microseconds) gives the device time (millis/micros counters are unwrapped
at 2^32); otherwise samples are counted at ``rate_hz``. Columns gx/gy/gz (or gyro_x ...) become the
gyro block in deg/s and ax/ay/az (or accel_x ...) the accelerometer block in g, when all three are
there. A name ending in ``_n`` or ``_kg`` sets that channel's unit; one containing ``fsr`` marks an FSR.

A layout (set of columns) is trusted once two consecutive lines agree on it, or a header line is
followed by a row of the same width: a port opened mid-line or a stray debug print then never
becomes a channel. Lines that fit no layout are counted and skipped; no line is held beyond
``max_line_bytes``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from smr_sense.core.samples import STREAM_RATE_RANGE_HZ, Channel, SampleBlock, StreamInfo
from smr_sense.core.wire.messages import DecoderStats
from smr_sense.core.wire.unwrap import CounterUnwrapper

TextItem = SampleBlock | StreamInfo
TEXT_FORMATS = ("auto", "plotter", "csv")
DEFAULT_TEXT_RATE_HZ = 50.0

_TIME_COLUMNS = {
    "time_s": 1.0, "t_s": 1.0, "time": 1.0, "t": 1.0,
    "t_ms": 1e-3, "time_ms": 1e-3, "millis": 1e-3, "ms": 1e-3,
    "t_us": 1e-6, "time_us": 1e-6, "micros": 1e-6, "us": 1e-6,
}  # fmt: skip
_GYRO = [("gx", "gyro_x", "gyrox", "gyr_x"), ("gy", "gyro_y", "gyroy", "gyr_y"), ("gz", "gyro_z", "gyroz", "gyr_z")]
_ACCEL = [("ax", "accel_x", "acc_x", "accx"), ("ay", "accel_y", "acc_y", "accy"), ("az", "accel_z", "acc_z", "accz")]
_NUMBER_SPLIT = re.compile(r"[,\t; ]+")
_PAIR_SPLIT = re.compile(r"[,\t;]+")
_WORD = re.compile(r"^[A-Za-z_][\w.\-]*$")


@dataclass(frozen=True)
class _Layout:
    names: tuple[str, ...]
    time_col: int | None
    time_scale: float
    gyro_cols: tuple[int, int, int] | None
    accel_cols: tuple[int, int, int] | None
    channel_cols: tuple[int, ...]


def _axis_cols(lower: list[str], axes: list[tuple[str, ...]]) -> tuple[int, int, int] | None:
    cols = []
    for aliases in axes:
        hit = [i for i, n in enumerate(lower) if n in aliases]
        if not hit:
            return None
        cols.append(hit[0])
    return cols[0], cols[1], cols[2]


def _make_layout(names: tuple[str, ...]) -> _Layout | None:
    lower = [n.lower() for n in names]
    time_col = next((i for i, n in enumerate(lower) if n in _TIME_COLUMNS), None)
    gyro = _axis_cols(lower, _GYRO)
    accel = _axis_cols(lower, _ACCEL)
    used = {time_col} | set(gyro or ()) | set(accel or ())
    channels = tuple(i for i in range(len(names)) if i not in used)
    if not channels or len(set(names)) != len(names):
        return None
    scale = _TIME_COLUMNS[lower[time_col]] if time_col is not None else 0.0
    return _Layout(names, time_col, scale, gyro, accel, channels)


def _channel(name: str, default_unit: str) -> Channel:
    lower = name.lower()
    unit = "N" if lower.endswith("_n") else "kg" if lower.endswith("_kg") else default_unit
    return Channel(name=name, unit=unit, sensor="fsr" if "fsr" in lower else "load_cell")


def _time_fits(layout: _Layout, values: list[float]) -> bool:
    """A time stamp must fit the integer ticks it is unwrapped in (a garbled 1e308 does not)."""
    if layout.time_col is None:
        return True
    tick_s = layout.time_scale if layout.time_scale < 1.0 else 1e-6
    return abs(values[layout.time_col] * layout.time_scale / tick_s) < 2.0**52


def _parse_number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class TextLineDecoder:
    """Feed it bytes; it returns ``StreamInfo`` (whenever the column layout is first known or changes)
    and ``SampleBlock`` items (one per feed and layout; ``t_s`` device time, ``host_t_s`` None).

    ``format``: ``auto`` (labelled, plain numbers, or CSV with header), ``plotter`` (no header lines)
    or ``csv`` (a header line is required). ``rate_hz``: nominal rate; when None it is estimated from
    a time column (its first step; outside 5-2000 Hz it is not believed), or defaults to 50 Hz.
    ``unit``: the unit of channels whose names do not say.
    """

    def __init__(
        self,
        format: str = "auto",
        rate_hz: float | None = None,
        source: str = "text",
        device_id: str = "text",
        device_name: str | None = None,
        unit: str = "count",
        max_line_bytes: int = 1024,
    ) -> None:
        if format not in TEXT_FORMATS:
            from smr_sense.core.wire.protocol import WireError

            raise WireError(f"text format must be one of {', '.join(TEXT_FORMATS)}, got {format!r}")
        self.format = format
        self.rate_hz = rate_hz
        self.source = source
        self.device_id = device_id
        self.device_name = device_name or device_id
        self.unit = unit
        self.max_line_bytes = max_line_bytes
        self.stats = DecoderStats(extra={"lines_skipped": 0})
        self.info: StreamInfo | None = None
        self._partial = bytearray()
        self._overlong = False
        self._layout: _Layout | None = None
        self._candidate: tuple[_Layout, list[list[float]]] | None = None
        self._header: tuple[str, ...] | None = None
        self._clock: CounterUnwrapper | None = None
        self._count = 0  # samples counted when there is no time column
        self._rows: list[list[float]] = []
        self._items: list[TextItem] = []

    def feed(self, data: bytes | bytearray | memoryview) -> list[TextItem]:
        self._items = []
        for line in self._split_lines(bytes(data)):
            self._line(line)
        self._flush()
        return self._items

    def _split_lines(self, data: bytes) -> list[bytes]:
        lines = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            chunk = data[start:nl]
            start = nl + 1
            if self._overlong:
                self._overlong = False  # the newline ends the overlong line, already counted
                continue
            if len(self._partial) + len(chunk) > self.max_line_bytes:
                self._partial.clear()
                self.stats.corrupt += 1
                continue
            lines.append(bytes(self._partial) + chunk)
            self._partial.clear()
        rest = data[start:]
        if not self._overlong:
            if len(self._partial) + len(rest) > self.max_line_bytes:
                self._partial.clear()
                self.stats.corrupt += 1
                self._overlong = True
            else:
                self._partial += rest
        return lines

    def _line(self, raw: bytes) -> None:
        try:
            line = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            self.stats.corrupt += 1
            return
        if not line or line.startswith("#"):
            self.stats.extra["lines_skipped"] += 1
            return
        if ":" in line:
            parsed = self._labelled(line)
            if parsed is None:
                self._skip(line)
                return
            names, values = parsed
            self._row(names, values)
            return
        tokens = [t for t in _NUMBER_SPLIT.split(line) if t]
        values = [_parse_number(t) for t in tokens]
        if all(v is not None for v in values):
            header = self._header if self._header and len(self._header) == len(values) else None
            if header is None and self.format == "csv" and self._layout is None:
                self._skip(line)  # csv rows before their header
                return
            names = header
            if names is None and self._layout is not None and len(self._layout.names) == len(values):
                names = self._layout.names  # a stray one-word debug print must not rename the columns
            self._row(names or tuple(f"ch{i}" for i in range(len(values))), values, from_header=header is not None)
            return
        if self.format != "plotter" and all(_WORD.match(t) for t in tokens) and len(set(tokens)) == len(tokens):
            self._header = tuple(tokens)
            return
        self._skip(line)

    def _skip(self, line: str) -> None:
        # prose (a sketch's debug print) is skipped quietly; a damaged data line counts as corrupt
        if ":" not in line and any(c.isalpha() for c in line):
            self.stats.extra["lines_skipped"] += 1
        else:
            self.stats.corrupt += 1

    def _labelled(self, line: str) -> tuple[tuple[str, ...], list[float]] | None:
        tokens: list[str] = []
        for part in _PAIR_SPLIT.split(line):
            part = part.strip()
            if part.count(":") > 1:
                tokens.extend(re.sub(r":\s+", ":", part).split())
            elif part:
                tokens.append(part)
        names: list[str] = []
        values: list[float] = []
        for token in tokens:
            label, sep, value = token.partition(":")
            number = _parse_number(value.strip())
            if not sep or number is None or not label.strip():
                return None
            names.append(label.strip())
            values.append(number)
        return tuple(names), values

    def _row(self, names: tuple[str, ...], values: list[float], from_header: bool = False) -> None:
        layout = self._layout
        if layout is not None and layout.names == names:
            if not _time_fits(layout, values):
                self.stats.corrupt += 1
                return
            self._rows.append(values)
            return
        new = _make_layout(names)
        if new is None or not _time_fits(new, values):
            self.stats.corrupt += 1
            return
        pending = self._candidate[1] if self._candidate and self._candidate[0].names == names else []
        # a header vouches for the layout at once, unless the rate must still be read off two time stamps
        wants_rate = new.time_col is not None and self.rate_hz is None
        if pending or (from_header and not wants_rate):
            self._candidate = None
            self._activate(new, pending + [values])
            return
        self._candidate = (new, [values])

    def _activate(self, layout: _Layout, rows: list[list[float]]) -> None:
        self._flush()
        previous = self._layout
        self._layout = layout
        if layout.time_col is not None and (previous is None or previous.time_scale != layout.time_scale):
            self._clock = CounterUnwrapper(bits=32 if layout.time_scale < 1.0 else 62)
        rate = self.rate_hz
        if rate is None and layout.time_col is not None and len(rows) >= 2:
            dt = (rows[-1][layout.time_col] - rows[-2][layout.time_col]) * layout.time_scale
            rate = 1.0 / dt if dt > 0 else None
            # One step is all there is to go by: a glitched stamp or a pause would set every
            # detector window to millions of samples, or to one. No roller streams outside this range.
            if rate is not None and not STREAM_RATE_RANGE_HZ[0] <= rate <= STREAM_RATE_RANGE_HZ[1]:
                rate = None
        self.info = StreamInfo(
            source=self.source,
            device_id=self.device_id,
            device_name=self.device_name,
            channels=tuple(_channel(layout.names[i], self.unit) for i in layout.channel_cols),
            rate_hz=float(rate or DEFAULT_TEXT_RATE_HZ),
            has_gyro=layout.gyro_cols is not None,
            has_accel=layout.accel_cols is not None,
            # Without a time column the samples are timed by counting them at ``rate_hz``: say so,
            # for the source to warn when that rate is only the default.
            extra={"format": "text", "columns": list(layout.names), "device_time": layout.time_col is not None},
        )
        self._items.append(self.info)
        self._rows = list(rows)

    def _flush(self) -> None:
        if not self._rows or self._layout is None:
            return
        layout = self._layout
        table = np.asarray(self._rows, dtype=np.float64)
        self._rows = []
        n = table.shape[0]
        if layout.time_col is not None and self._clock is not None:
            # time in integer ticks of its own unit (seconds columns in microseconds) so it unwraps
            tick_s = layout.time_scale if layout.time_scale < 1.0 else 1e-6
            ticks, _ = self._clock.unwrap(np.rint(table[:, layout.time_col] * (layout.time_scale / tick_s)))
            t_s = ticks * tick_s
            self.stats.time_resets = self._clock.resets
        else:
            rate = self.info.rate_hz if self.info else DEFAULT_TEXT_RATE_HZ
            t_s = (self._count + np.arange(n)) / rate
            self._count += n
        gyro = table[:, list(layout.gyro_cols)] if layout.gyro_cols else None
        accel = table[:, list(layout.accel_cols)] if layout.accel_cols else None
        self.stats.frames += n
        self.stats.samples += n
        self._items.append(SampleBlock.build(t_s, table[:, list(layout.channel_cols)], gyro, accel))

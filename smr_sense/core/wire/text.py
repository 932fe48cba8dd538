"""Sans-I/O decoder for the text lines hobby sketches already print.

Accepted, one sample per line (``\\n`` or ``\\r\\n``):

- Arduino Serial Plotter, labelled: ``load:1234,fsr0:56`` (pairs split by comma, tab, semicolon or
  space); the labels name the channels.
- Plain numbers: ``1234 56`` or ``1234,56`` or tab separated; channels are named ``ch0, ch1 ...``.
- CSV with a header line: ``t_ms,left,right`` then ``10,1234,56``. The header may come again at any
  time: the same names change nothing; other names for the rows after it are a new layout. A header
  names only the rows printed with its separator (commas, tabs, semicolons, or spaces alone), and
  one as wide as a layout with a time column, naming none, is no new layout: a debug print of as
  many words as the rows have columns (``starting calibration now``) renames nothing.

What the names mean (time, gyro, accelerometer, units) is in ``text_columns``. ``nan``, ``inf`` and
``ovf`` (Arduino's prints of a float it has no value for) are missing values, not damage.

A layout (set of columns) is found once two consecutive lines agree on it, or a header line is
followed by a row of the same width: a port opened mid-line or a stray debug print then never
becomes a channel. Its rows are held, not yet described, until the nominal rate is known (read from
a time column's first stamps, ``text_rate``) and, with ``await_header``, until a header names plain
numbers or the caller stops waiting for one.

Once a layout is found, a line that was a sample but arrived damaged is counted as corrupt and as a
lost sample, and keeps its time slot (without a time column samples are timed by counting them: a
damaged line skipped would pull every later sample early): bytes that are not printable ASCII, an
overlong line, the layout's labels with a value that is no number, numbers and garble with no word
among them, or a row of another shape that the next row does not repeat. A line with a word in it
(a debug print), a header, an empty line or a ``#`` comment is skipped and takes no slot. No line is
held beyond ``max_line_bytes``.
"""

from __future__ import annotations

import re

import numpy as np

from smr_sense.core.samples import SampleBlock, StreamInfo
from smr_sense.core.wire.messages import DecoderStats
from smr_sense.core.wire.text_columns import (
    WORD,
    Layout,
    channel,
    columns_problem,
    make_layout,
    parse_number,
    separator_of,
    time_fits,
)
from smr_sense.core.wire.text_lines import LineSplitter
from smr_sense.core.wire.text_rate import DEFAULT_TEXT_RATE_HZ, enough_stamps, nominal_rate
from smr_sense.core.wire.unwrap import CounterUnwrapper

TextItem = SampleBlock | StreamInfo
TEXT_FORMATS = ("auto", "plotter", "csv")
# Rows held before their layout is described (2 s at the fastest rate a roller streams): past this
# the decoder waits no longer, so memory stays bounded whatever the caller does.
MAX_HELD_ROWS = 4096

_NUMBER_SPLIT = re.compile(r"[,\t; ]+")
_PAIR_SPLIT = re.compile(r"[,\t;]+")
_ANY_SPLIT = re.compile(r"[,\t; :]+")
_GARBLED = re.compile(rb"[^\t\x20-\x7e]")  # what noise, a wrong baud rate or a lost byte leave

_Row = tuple[list[float], int | None]  # values, and the time slot kept for it (None: the next one)


class TextLineDecoder:
    """Feed it bytes; it returns ``StreamInfo`` (whenever the column layout is first known or changes)
    and ``SampleBlock`` items (one per feed and layout; ``t_s`` device time, ``host_t_s`` None).

    ``format``: ``auto`` (labelled, plain numbers, or CSV with header), ``plotter`` (no header lines)
    or ``csv`` (a header line is required). ``rate_hz``: nominal rate; when None it is read from a
    time column's first stamps, or is 50 Hz (``text_rate``). ``unit``: the unit of
    channels whose names do not say. ``columns``: the user's names for plain numbers of that width,
    overriding any header the sketch prints. ``header``: a header taken as already seen (an earlier
    connection's, to the same device); one the sketch prints replaces it. ``await_header``: hold
    plain numbers no header has named until one does, or until :meth:`stop_awaiting_header` (the
    caller keeps the time: a sketch may print its header only every second or so).
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
        columns: tuple[str, ...] | None = None,
        header: tuple[str, ...] | None = None,
        await_header: bool = False,
    ) -> None:
        from smr_sense.core.wire.protocol import WireError

        if format not in TEXT_FORMATS:
            raise WireError(f"text format must be one of {', '.join(TEXT_FORMATS)}, got {format!r}")
        if columns and (why := columns_problem(tuple(columns))):
            raise WireError(f"the columns {', '.join(columns)}: {why}")
        self.format = format
        self.rate_hz = rate_hz
        self.source = source
        self.device_id = device_id
        self.device_name = device_name or device_id
        self.unit = unit
        self.max_line_bytes = max_line_bytes
        self.columns = tuple(columns) if columns else None
        self.stats = DecoderStats(extra={"lines_skipped": 0})
        self.info: StreamInfo | None = None
        self.awaiting_header = await_header and self.columns is None and not header
        self._lines = LineSplitter(max_line_bytes)
        # The latest header printed with each separator, for the rows printed with it (None: the one given)
        self._headers: dict[frozenset[str] | None, tuple[str, ...]] = {None: tuple(header)} if header else {}
        self._row_separator: frozenset[str] | None = None  # the latest row of plain numbers'
        self._layout: Layout | None = None  # the columns the rows agree on
        self._described = False  # its StreamInfo is out; until then its rows are held
        self._candidate: tuple[tuple[str, ...], list[float]] | None = None  # a first row, before any layout
        self._candidate_damaged = 0  # damaged lines since it: lost samples, if the next row confirms it
        # A row whose names are not the layout's, and the slot it keeps: a damaged line if the next
        # row is the layout's again, the first row of a new layout if the next row repeats its names.
        self._other: tuple[tuple[str, ...], _Row] | None = None
        self._clock: CounterUnwrapper | None = None
        self._clock_scale = 0.0
        self._next_slot = 0  # samples counted, to time them by when there is no time column
        self._rows: list[list[float]] = []
        self._slots: list[int | None] = []
        self._items: list[TextItem] = []

    def feed(self, data: bytes | bytearray | memoryview) -> list[TextItem]:
        self._items = []
        for line in self._lines.split(bytes(data)):
            if line is None:
                self._damaged()  # an overlong line: garbage, or lines whose ends were lost
            else:
                self._line(line)
        self._flush()
        return self._items

    def stop_awaiting_header(self) -> list[TextItem]:
        """No header came in time: plain numbers keep the names ch0, ch1 ...; returns what that lets out."""
        self._items = []
        self.awaiting_header = False
        self._describe_when_ready()
        self._flush()
        return self._items

    def _line(self, raw: bytes) -> None:
        raw = raw.strip()
        if not raw or raw.startswith(b"#"):
            self.stats.extra["lines_skipped"] += 1
            return
        if _GARBLED.search(raw):
            self._damaged()
            return
        line = raw.decode("ascii")
        if ":" in line:
            parsed = self._labelled(line)
            if parsed is None:
                self._not_a_row(line)
            else:
                self._row(parsed[0], parsed[1], "labels")
            return
        tokens = [t for t in _NUMBER_SPLIT.split(line) if t]
        values = [parse_number(t) for t in tokens]
        separator = separator_of(line)
        if all(v is not None for v in values):
            self._row_separator = separator
            named = self._names_for(len(values), separator)
            if named is None:
                self._damaged()  # csv rows before their header, or not the width the user named
            else:
                self._row(named[0], values, named[1])  # type: ignore[arg-type]
            return
        if self.format != "plotter" and all(WORD.match(t) for t in tokens) and len(set(tokens)) == len(tokens):
            self._header_line(tuple(tokens), separator)
            return
        self._not_a_row(line)

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
            number = parse_number(value.strip())
            if not sep or number is None or not label.strip():
                return None
            names.append(label.strip())
            values.append(number)
        return tuple(names), values

    def _names_for(self, width: int, separator: frozenset[str]) -> tuple[tuple[str, ...], str] | None:
        """The names of plain numbers this wide, and who gave them; None: no row is this wide."""
        layout = self._layout
        if self.columns is not None:
            if len(self.columns) == width:
                return self.columns, "columns"
            if layout is None:
                return None  # the user named another width: these are not the rows meant
        elif (header := self._header_for(width, separator)) is not None:
            return header, "header"
        elif layout is None and self.format == "csv":
            return None
        if layout is not None and len(layout.names) == width:
            return layout.names, layout.named_by  # a stray one-word debug print must not rename the columns
        return tuple(f"ch{i}" for i in range(width)), "position"

    def _header_for(self, width: int, separator: frozenset[str]) -> tuple[str, ...] | None:
        """The header that names rows this wide printed with this separator, if one plausibly does.

        A sketch prints its header with the same code as its rows, comma for comma: a line of words
        spaced as a sentence among rows with commas is a debug print ("starting calibration now"),
        however many words it has. And a sketch that stamps its rows keeps stamping them: a line of
        words as wide as the layout in use, naming no time column where it has one, is a message too.
        """
        names = next((h for h in map(self._headers.get, (separator, None)) if h and len(h) == width), None)
        layout = self._layout
        if names is None or layout is None or layout.time_col is None or names == layout.names:
            return names
        renamed = make_layout(names, "header")
        return None if len(names) == len(layout.names) and renamed and renamed.time_col is None else names

    def _header_line(self, names: tuple[str, ...], separator: frozenset[str]) -> None:
        if self.columns is not None:
            self.stats.extra["lines_skipped"] += 1  # the user's names stand
            return
        self._headers[separator] = names
        # The header for plain numbers held while waiting for it names them, their time column too.
        layout = self._layout
        if layout is None or self._described or layout.named_by != "position" or len(names) != len(layout.names):
            return
        if separator != self._row_separator:
            return  # a debug print as many words wide as the rows
        named = make_layout(names, "header")
        if named is not None and all(time_fits(named, row) for row in self._rows):
            self._layout = named
            self._describe_when_ready()

    def _not_a_row(self, line: str) -> None:
        """A line that is neither a row nor a header: a damaged sample, or a message to skip."""
        layout = self._layout
        if layout is not None and layout.named_by == "labels" and ":" in line:
            labels = [part.partition(":")[0].strip() for part in _PAIR_SPLIT.split(line) if part.strip()]
            if len(labels) == len(layout.names) and any(a == b for a, b in zip(labels, layout.names)):
                self._damaged()  # the layout's labels, with a value garbled
                return
        if any(WORD.match(t) for t in _ANY_SPLIT.split(line) if t):
            self.stats.extra["lines_skipped"] += 1  # words: a debug print ("Taring...", "HX711 ready")
        else:
            self._damaged()  # numbers and garble, no word: what is left of a sample

    def _row(self, names: tuple[str, ...], values: list[float], named_by: str) -> None:
        layout = self._layout
        if layout is not None and layout.names == names:
            if not time_fits(layout, values):
                self._damaged()
                return
            if self._other is not None:
                self._other = None
                self._lost()  # the odd row before this one was one of this layout's, damaged
            self._take(values, None)
            return
        new = make_layout(names, named_by)
        if new is None or not time_fits(new, values):
            self._damaged()
            return
        if layout is None:
            candidate, self._candidate = self._candidate, None
            if candidate is not None and candidate[0] == names:
                self._start(new, [(candidate[1], None)])
                for _ in range(self._candidate_damaged):
                    self._slot()  # the damaged lines between the two rows were samples too
                    self.stats.lost += 1  # (counted corrupt as they came)
                self._take(values, None)
            elif named_by in ("header", "columns"):  # names given for rows this wide, by the sketch or the user
                self._start(new, [(values, None)])
            else:
                self._candidate = (names, values)
            self._candidate_damaged = 0
            return
        # Another layout takes two rows in a row, even after a header: a one-word debug print
        # ("Taring...") reads as a header, and a row cut short after it must not end the layout.
        other, self._other = self._other, None
        if other is not None and other[0] == names:
            self._start(new, [other[1], (values, None)])  # the sketch changed its columns
            return
        if other is not None:
            self._lost()
        self._other = (names, (values, self._slot()))

    def _start(self, layout: Layout, rows: list[_Row]) -> None:
        """A layout is found: the first, or the next one the sketch changed to."""
        self._flush()  # the old layout's rows go out under its own description ...
        self._rows, self._slots = [], []  # ... or, never described, were a start that did not hold
        self._layout = layout
        self._described = False
        for values, slot in rows:
            self._take(values, slot)

    def _slot(self) -> int | None:
        """The next time slot, when samples are timed by counting them (no time column)."""
        if self._layout is None or self._layout.time_col is not None:
            return None
        slot = self._next_slot
        self._next_slot += 1
        return slot

    def _take(self, values: list[float], slot: int | None) -> None:
        self._rows.append(values)
        self._slots.append(slot if slot is not None else self._slot())
        if not self._described:
            self._describe_when_ready()

    def _damaged(self) -> None:
        """A line that was a sample: corrupt; once a layout is found, a lost sample keeping its slot."""
        if self._layout is None:
            self.stats.corrupt += 1
            self._candidate_damaged += self._candidate is not None
        else:
            self._slot()
            self._lost()

    def _lost(self) -> None:
        self.stats.corrupt += 1
        self.stats.lost += 1

    def _describe_when_ready(self) -> None:
        layout = self._layout
        if layout is None or self._described:
            return
        rows = self._rows
        if len(rows) < MAX_HELD_ROWS:
            if self.awaiting_header and layout.named_by == "position":
                return
            if layout.time_col is not None and self.rate_hz is None:
                span_s = (rows[-1][layout.time_col] - rows[0][layout.time_col]) * layout.time_scale
                if not enough_stamps(len(rows), span_s):
                    return
        if layout.time_col is not None and self._clock_scale != layout.time_scale:
            self._clock = CounterUnwrapper(bits=32 if layout.time_scale < 1.0 else 62)
            self._clock_scale = layout.time_scale
        stamps_s = None if layout.time_col is None else np.array([r[layout.time_col] for r in rows]) * layout.time_scale
        rate_hz, rate_from = nominal_rate(self.rate_hz, stamps_s)
        self.info = StreamInfo(
            source=self.source,
            device_id=self.device_id,
            device_name=self.device_name,
            channels=tuple(channel(layout.names[i], self.unit) for i in layout.channel_cols),
            rate_hz=float(rate_hz),
            has_gyro=layout.gyro_cols is not None,
            has_accel=layout.accel_cols is not None,
            # Without a time column the samples are timed by counting them at ``rate_hz``: say so,
            # and how that rate was set, for the source to warn when it is only assumed
            # (``text_rate.assumed_rate_warning``). ``names``: who named the columns (labels, header,
            # columns: the user, or position: ch0, ch1 ... for want of any).
            extra={
                "format": "text",
                "columns": list(layout.names),
                "device_time": layout.time_col is not None,
                "names": layout.named_by,
                **rate_from,
            },
        )
        self._items.append(self.info)
        self._described = True

    def _flush(self) -> None:
        if not self._rows or self._layout is None or not self._described:
            return
        layout = self._layout
        table = np.asarray(self._rows, dtype=np.float64)
        slots = self._slots
        self._rows, self._slots = [], []
        n = table.shape[0]
        if layout.time_col is not None and self._clock is not None:
            # time in integer ticks of its own unit (seconds columns in microseconds) so it unwraps
            tick_s = layout.time_scale if layout.time_scale < 1.0 else 1e-6
            ticks, _ = self._clock.unwrap(np.rint(table[:, layout.time_col] * (layout.time_scale / tick_s)))
            t_s = ticks * tick_s
            self.stats.time_resets = self._clock.resets
        else:
            rate = self.info.rate_hz if self.info else DEFAULT_TEXT_RATE_HZ
            t_s = np.asarray(slots, dtype=np.float64) / rate
        gyro = table[:, list(layout.gyro_cols)] if layout.gyro_cols else None
        accel = table[:, list(layout.accel_cols)] if layout.accel_cols else None
        self.stats.frames += n
        self.stats.samples += n
        self._items.append(SampleBlock.build(t_s, table[:, list(layout.channel_cols)], gyro, accel))

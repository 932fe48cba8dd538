"""A text stream's bytes, in whatever chunks they arrive, to its lines, holding no line beyond
``max_line_bytes``. Used by ``text.TextLineDecoder``."""

from __future__ import annotations


class LineSplitter:
    """Feed it bytes with :meth:`split`; it returns the lines they end (without the ``\\n``), with
    None for each one longer than ``max_line_bytes`` (garbage, or lines whose ends were lost), in
    order: a damaged line keeps its place among the samples."""

    def __init__(self, max_line_bytes: int) -> None:
        self.max_line_bytes = max_line_bytes
        self.partial = bytearray()  # the line begun, not yet ended
        self._overlong = False  # inside a line already returned as None: skip to its end

    def split(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
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
            if len(self.partial) + len(chunk) > self.max_line_bytes:
                self.partial.clear()
                lines.append(None)
                continue
            lines.append(bytes(self.partial) + chunk)
            self.partial.clear()
        rest = data[start:]
        if not self._overlong:
            if len(self.partial) + len(rest) > self.max_line_bytes:
                self.partial.clear()
                lines.append(None)
                self._overlong = True
            else:
                self.partial += rest
        return lines

"""Telling the reference binary protocol from text lines in the first bytes a port delivers."""

from __future__ import annotations

from smr_sense.core.wire.reference import ReferenceDecoder


def sniff_format(data: bytes) -> str | None:
    """``"reference"`` if the bytes hold a valid reference frame, ``"text"`` if they hold a complete
    printable line, ``None`` when there is not enough to tell yet (feed more and ask again)."""
    probe = ReferenceDecoder()
    if probe.feed(data) or probe.stats.frames:
        return "reference"
    nl = data.find(b"\n")
    if nl >= 0:
        line = data[:nl].rstrip(b"\r")
        printable = sum(32 <= b < 127 or b == 9 for b in line)
        if line and printable == len(line):
            return "text"
        # a damaged first line (port opened mid-frame or mid-line): judge by the next one
        rest = data[nl + 1 :]
        return sniff_format(rest) if rest else None
    return None

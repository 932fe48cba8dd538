"""Sources: simulated roller, replay, serial and BLE, all behind one async interface."""

from smr_sense.sources.base import LinkStats, Playback, Source, SourceError, SourceItem
from smr_sense.sources.spec import SourceSpec, make_source, parse_source_spec

__all__ = [
    "LinkStats",
    "Playback",
    "Source",
    "SourceError",
    "SourceItem",
    "SourceSpec",
    "make_source",
    "parse_source_spec",
]

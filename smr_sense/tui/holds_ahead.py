"""How many holds a replay still has ahead, so that "next hold" can say there is none left.

Without it, ``n`` after the last hold fast-forwarded to the end of the file and ended the replay.
The answer comes from a copy of the dashboard session (its pipeline, calibration, settings and
muscle group as they are now) fed the rest of the replayed file: the very holds the fast-forward
would stop on, found by the same code, with no detection of its own here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from smr_sense.core.events import HoldStarted
from smr_sense.core.samples import Marker, SampleBlock, interleave
from smr_sense.tui.session import DashboardSession

CHUNK_SAMPLES = 1024  # fed at a time, so the look stops soon after the holds wanted


def holds_ahead(session: DashboardSession, playback: Any, wanted: int) -> int | None:
    """The holds ``session`` would see from where it is to the end of the file ``playback`` plays,
    counted up to ``wanted``; None when that cannot be told (a playback that offers no recording of
    its samples, a session that records, or one with no samples yet)."""
    recording = getattr(playback, "recording", None)
    if recording is None or session.writer is not None or session.last_t_s is None or session.outcome is not None:
        return None
    ahead = copy.deepcopy(session)  # the pipeline's state included: a hold in progress is no new hold
    found = 0
    for item in _rest(recording, session.last_t_s):
        events = ahead.mark(item) if isinstance(item, Marker) else ahead.feed(item)
        found += sum(isinstance(e, HoldStarted) for e in events)
        if found >= wanted:
            break
    return min(found, wanted)


def _rest(recording: Any, after_s: float) -> Iterator[SampleBlock | Marker]:
    """What the replay has still to hand out after stream time ``after_s``, in the order it will."""
    block: SampleBlock = recording.block
    rest = block.slice(int(np.searchsorted(block.t_s, after_s, side="right")), len(block))
    markers = sorted((m for m in recording.markers if m.t_s > after_s), key=lambda m: m.t_s)
    for item in interleave(rest, markers):
        if isinstance(item, Marker):
            yield item
        else:
            for start in range(0, len(item), CHUNK_SAMPLES):
                yield item.slice(start, min(start + CHUNK_SAMPLES, len(item)))

"""``replay:PATH[?speed=4]``: a recording or interchange CSV played back as a live source.

Hands downstream exactly the samples the live run gave, by device time, paced at ``speed`` times
real time (``speed=max`` for as fast as possible). Offers :class:`Playback` for pause, speed and
seek; a seek yields ``Marker(t_s, "seek", {"from_s": .., "before": (block, markers), "skipped":
markers})``: the ``WARM_UP_S`` of samples and markers before the new position, plus every
calibration marker before it, so consumers can rebuild the state they would have there (a hold in
progress is timed from its real start, not from the seek; the calibration and ceiling set in the
wizard so far hold), and the markers jumped over (the muscle groups the user moved through). A
replay that starts part way (``start=S``) begins with such a seek from the file's first sample.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np

from smr_sense.core.pipeline import CALIBRATION_MARKERS
from smr_sense.core.samples import RESUME_GAP_S, Marker, StreamInfo, interleave
from smr_sense.recording import Recording, load_any
from smr_sense.routine import MUSCLE_GROUP_MARKER
from smr_sense.sources.base import Playback, Source, SourceError, SourceItem
from smr_sense.sources.pacing import MAX_BLOCK_AS_FAST, Pacer
from smr_sense.sources.spec import SourceSpec

OPTIONS = {"speed", "start"}
WARM_UP_S = 120.0  # longer than any hold a person keeps up; costs ~20 ms of analysis per seek
# A gap in the samples (a dropped link, a CSV with a pause) plays as it happened, showing "gap"
# as the link's state, for up to this long; then the replay goes on at the next sample. A roller
# left off for an hour with the recorder running must not cost an hour of watching, and no event
# falls inside a gap: stream time jumps exactly as it did live.
GAP_PLAYED_S = 5.0


def start_outside(start_s: float, recording: Recording, path: str) -> str | None:
    """Why a replay cannot start ``start_s`` seconds into ``recording``, or None when it can."""
    length_s = float(recording.block.t_s[-1] - recording.block.t_s[0]) if len(recording.block) else 0.0
    # From the beginning is always a valid start, even of a recording one sample long.
    if start_s != 0.0 and not 0.0 < start_s < length_s:
        return f"a start at {start_s:g} s is outside {path}, which lasts {length_s:.1f} s"
    return None


class ReplaySource(Source, Playback):
    def __init__(self, spec: str, path: str, speed: float = 1.0, start_s: float = 0.0,
                 recording: Recording | None = None) -> None:
        super().__init__(spec)
        self.path = path
        self._speed = speed
        self._start_s = start_s
        self.recording = recording
        self._pacer: Pacer | None = None
        self._index = 0
        self._seek_to: float | None = None
        self._wake = asyncio.Event()

    # -- Source ---------------------------------------------------------------------------------
    async def _open(self) -> StreamInfo:
        if self.recording is None:
            self.recording = await asyncio.to_thread(load_any, self.path)
        if len(self.recording.block) == 0:
            raise SourceError(f"{self.path} holds no samples to replay")
        if why := start_outside(self._start_s, self.recording, self.path):
            raise SourceError(why)
        # A later start is a seek from the beginning: what came before it (the calibration, the
        # muscle group, a hold under way) is handed over as a seek's is, and the summary is partial.
        self._index = 0
        self._seek_to = self._t0 + self._start_s if self._start_s > 0 else None
        self.stats.connected = True
        self.stats.state = "streaming"
        return self.recording.info

    @property
    def playback(self) -> Playback:
        return self

    @property
    def warnings(self) -> list[str]:
        return list(self.recording.warnings) if self.recording else []

    @property
    def _t0(self) -> float:
        assert self.recording is not None
        return float(self.recording.block.t_s[0])

    def _index_at(self, t_s: float) -> int:
        assert self.recording is not None
        return int(np.searchsorted(self.recording.block.t_s, t_s, side="left"))

    async def _items(self) -> AsyncIterator[SourceItem]:
        rec = self.recording
        assert rec is not None, "open the source first"
        block, t = rec.block, rec.block.t_s
        markers = sorted(rec.markers, key=lambda m: m.t_s)
        marker_times = np.array([m.t_s for m in markers])
        # From the beginning, markers stamped before the first sample still count (e.g. a routine start).
        next_marker = 0 if self._index == 0 else int(np.searchsorted(marker_times, t[self._index], side="left"))
        self._pacer = Pacer(float(t[min(self._index, len(t) - 1)]), self._speed)
        self.stats.state = "streaming"
        while self._index < len(t):
            if self._seek_to is not None:
                target = self._seek_to
                self._seek_to = None
                from_s = self.position_s
                self._index = self._index_at(target)
                resume_at = int(np.searchsorted(marker_times, target, side="left"))
                skipped = tuple(markers[next_marker:resume_at])  # jumped over, never sent
                next_marker = resume_at
                self._pacer.rebase(target)
                first = self._index_at(target - WARM_UP_S)
                earlier = [
                    m for m in markers
                    if m.t_s < target and (m.t_s >= target - WARM_UP_S or m.kind in CALIBRATION_MARKERS)
                ]
                before = (block.slice(first, self._index), earlier)
                yield Marker(target, "seek", {"from_s": from_s, "before": before, "skipped": skipped})
                continue
            await self._pause_or_tick()
            if self._pacer.paused:
                continue
            if self._pacer.as_fast_as_possible:
                target = float("inf")
                stop = min(self._index + MAX_BLOCK_AS_FAST, len(t))
            else:
                target = self._pacer.target_s()
                stop = int(np.searchsorted(t, target, side="right"))
            # Markers go out in stream order, just before the samples that follow them, and on
            # time inside a gap in the samples (a replayed disconnect lasts as long as it did).
            limit = t[stop - 1] if stop > self._index else target
            due = []
            while next_marker < len(markers) and markers[next_marker].t_s <= limit:
                due.append(markers[next_marker])
                next_marker += 1
            if stop <= self._index:
                for m in due:
                    yield m
                self._in_gap(target, float(t[self._index]))
                continue
            out = block.slice(self._index, stop)
            self._index = stop
            self.stats.state = "streaming"
            self.stats.count(len(out))
            for item in interleave(out, due):  # each marker between the samples around it
                yield item
        for m in markers[next_marker:]:
            yield m
        self.stats.state = "ended"

    def _in_gap(self, target_s: float, next_s: float) -> None:
        """Nothing is due yet at ``target_s``: in a gap in the samples, say so, and after
        ``GAP_PLAYED_S`` of it go on at the next sample (``next_s``)."""
        assert self._pacer is not None
        if self._index == 0:  # a seek or a start: a position, not a gap
            return
        last_s = float(self.recording.block.t_s[self._index - 1])
        if target_s - last_s < RESUME_GAP_S:  # a few samples lost in transport: no gap
            return
        self.stats.state = "gap"
        if target_s - last_s >= GAP_PLAYED_S and not self._pacer.paused:
            self._pacer.rebase(next_s)

    async def _pause_or_tick(self) -> None:
        assert self._pacer is not None
        if self._pacer.paused:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), 0.1)
            except TimeoutError:
                pass
        else:
            await self._pacer.wait()

    # -- Playback -------------------------------------------------------------------------------
    @property
    def position_s(self) -> float:
        rec = self.recording
        if rec is None or len(rec.block) == 0:
            return 0.0
        i = min(max(self._index - 1, 0), len(rec.block) - 1)
        return float(rec.block.t_s[i])

    @property
    def start_s(self) -> float:
        rec = self.recording
        return 0.0 if rec is None or len(rec.block) == 0 else float(rec.block.t_s[0])

    @property
    def duration_s(self) -> float | None:
        rec = self.recording
        return None if rec is None else float(rec.block.t_s[-1] - rec.block.t_s[0])

    @property
    def speed(self) -> float:
        return self._pacer.speed if self._pacer else self._speed

    def set_speed(self, speed: float) -> None:
        if not speed > 0:
            raise SourceError("replay speed must be above zero")
        self._speed = speed
        if self._pacer:
            self._pacer.set_speed(speed, self.position_s)

    @property
    def paused(self) -> bool:
        return bool(self._pacer and self._pacer.paused)

    def set_paused(self, paused: bool) -> None:
        if self._pacer:
            self._pacer.set_paused(paused, self.position_s)
            self._wake.set()

    def seek(self, t_s: float) -> None:
        rec = self.recording
        if rec is None:
            return
        self._seek_to = float(np.clip(t_s, rec.block.t_s[0], rec.block.t_s[-1]))
        self._wake.set()


def make_source(spec: SourceSpec) -> ReplaySource:
    spec.check_options(OPTIONS)
    if not spec.target:
        raise SourceError("replay needs a file: replay:PATH (for example replay:recordings/imu_routine.smr)")
    speed = spec.speed_option()
    return ReplaySource(spec.text, spec.target, speed=speed, start_s=spec.float_option("start", 0.0))


def carried_over(seek: Marker) -> list[Marker]:
    """What is still in force at a seek's target: every calibration marker before it and the last
    muscle group chosen (for a consumer that keeps no state of its own, such as ``record``)."""
    _block, earlier = seek.data.get("before") or (None, ())
    calibrations = [m for m in earlier if m.kind in CALIBRATION_MARKERS]
    groups = [m for m in (*earlier, *seek.data.get("skipped", ())) if m.kind == MUSCLE_GROUP_MARKER]
    last_group = [max(groups, key=lambda m: m.t_s)] if groups else []
    return sorted(calibrations + last_group, key=lambda m: m.t_s)

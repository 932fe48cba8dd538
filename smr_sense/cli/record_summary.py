"""The session summary a headless ``record`` saves beside its file, as the dashboard saves its own.

The same tracker and report as the dashboard's: the holds filed by muscle group (the source's own
group changes), rolling time, caps, ceiling crossings and losses of signal, so a session recorded
without a screen reaches the trainer as one recorded with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from smr_sense.core.events import Event
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.report import save_summary, summarize
from smr_sense.routine import RoutineTracker


class RecordSummary:
    def __init__(self) -> None:
        self.tracker = RoutineTracker()
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.started_at: str | None = None  # local time, as the dashboard dates its summary

    def samples(self, block: SampleBlock) -> None:
        if len(block):
            self.first_t_s = float(block.t_s[0]) if self.first_t_s is None else self.first_t_s
            self.last_t_s = float(block.t_s[-1])

    def mark(self, marker: Marker) -> None:
        self.tracker.apply_marker(marker)

    def event(self, event: Event) -> None:
        self.tracker.apply_event(event)

    def save(
        self,
        out: Path,
        info: StreamInfo,
        *,
        hold_cap_s: float,
        warnings: Iterable[str],
        not_measured: str | None,
    ) -> tuple[Path, Path] | None:
        """Save it beside ``out``; None when ``out`` is no file to sit beside (a pipe, /dev/null)."""
        if not out.is_file():
            return None
        end_s = self.last_t_s if self.last_t_s is not None else 0.0
        self.tracker.close(end_s)
        summary = summarize(
            self.tracker,
            source=info.source,
            device_id=info.device_id,
            duration_s=end_s - (self.first_t_s if self.first_t_s is not None else end_s),
            hold_cap_s=hold_cap_s,
            recording=out.name,
            started_at=self.started_at,
            not_measured=not_measured,
            warnings=tuple(warnings),
        )
        return save_summary(summary, out)

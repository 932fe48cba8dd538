"""A finished session as data: the summary and the JSON object ``smr-sense analyze --json`` prints.

Times stay in the stream's own time base (the file's ``time_s``). ``cap_at_s`` is the stream time at
which the live dashboard announced (or would announce) the cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smr_sense.core.events import SignalLost

if TYPE_CHECKING:  # pragma: no cover
    from smr_sense.core.pipeline import Pipeline, SessionResult


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def summarise(result: SessionResult, pipeline: Pipeline) -> dict[str, Any]:
    first, last, samples = pipeline.span_s
    duration = (last - first) if (first is not None and last is not None) else 0.0
    gaps = [e.gap_s for e in result.events if isinstance(e, SignalLost) and e.gap_s]
    # The rate the roller streams at, as its stream declares it (a recording's header, a CSV's median
    # step): samples over seconds read 98.1 Hz for a 100 Hz roller whose link dropped 2 % of frames,
    # and 68.8 Hz across a dropout. What was lost is said by the link's own figures, not here.
    rate = float(pipeline.info.rate_hz)
    holds = result.holds
    hold_s = sum(h.duration_s for h in holds)
    rolling_s = sum(r.duration_s for r in result.rolling)
    kinds: dict[str, int] = {}
    for e in result.events:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    s = pipeline.settings
    return {
        "start_s": _r(first),
        "end_s": _r(last),
        "duration_s": _r(duration),
        "samples": samples,
        "sample_rate_hz": _r(rate, 2),
        "motion_cue": pipeline.cue_name,
        "hold_cap_s": s.hold_cap_s,
        "holds": len(holds),
        "holds_capped": sum(1 for h in holds if h.capped),
        "hold_time_s": _r(hold_s),
        "longest_hold_s": _r(max((h.duration_s for h in holds), default=0.0)),
        "mean_hold_s": _r(hold_s / len(holds)) if holds else 0.0,
        "over_cap_s": _r(sum(h.over_cap_s for h in holds)),
        "rolling_time_s": _r(rolling_s),
        "rolling_stretches": len(result.rolling),
        "peak_force_n": _r(pipeline.peak_force_n, 2),
        "ceiling_n": _r(s.ceiling_force_n, 2),
        # What a ceiling in % of body weight was worked out from: the recording's own body weight
        # when none was given, which nothing said.
        "ceiling_pct_bw": s.ceiling_pct_bw if s.ceiling_force_n is not None else None,
        "body_mass_kg": _r(s.body_mass_kg, 2),
        "ceiling_exceeded": kinds.get("ceiling_exceeded", 0),
        "signal_lost": kinds.get("signal_lost", 0),
        "signal_lost_s": _r(sum(gaps)),  # as the trainer's report: seconds without samples
        "warnings": len(result.warnings),
    }


def result_to_json(result: SessionResult) -> dict[str, Any]:
    """The ``analyze --json`` object for one session."""
    return {
        "device_id": result.info.device_id,
        "duration_s": result.summary.get("duration_s", 0.0),
        "sample_rate_hz": result.summary.get("sample_rate_hz", 0.0),
        "holds": [h.to_json() for h in result.holds],
        "rolling": [r.to_json() for r in result.rolling],
        "events": [e.saved_json() for e in result.events],
        "summary": result.summary,
        "warnings": list(result.warnings),
    }

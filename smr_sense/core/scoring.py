"""Event-level scoring of detected holds against ground truth (DOMAIN.md: F1 with an onset collar).

- A detected hold **matches** a true one when its start is within ``collar_s`` (1.0 s) of the true
  start and it covers at least half of the true hold. Matching is one-to-one, closest starts first.
- Precision = matched / detected, recall = matched / true, F1 their harmonic mean.
- Start error = detected start - true start, over matched holds (negative: too early).
- Cap error = |announced cap - (true start + cap)| for every true hold that lasted at least the cap
  and whose match announced one; a true hold that reached the cap with no cap announced for it is a
  **missed cap**.
  A true hold cut off by the end of the recording within ``collar_s`` of its cap is not counted.
- Announcement delay = when the detector announced a matched hold - true start: how long after the
  user stopped the dashboard says HOLD (the start itself is back-dated; the announcement cannot be).
- A **false cap** is a cap announced when the user was not holding: outside every true hold (plus
  the collar after its end), or by a detected hold that matches no true hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

COLLAR_S = 1.0
MIN_COVER = 0.5


@dataclass(frozen=True)
class Interval:
    start_s: float
    end_s: float
    cap_at_s: float | None = None
    confirmed_s: float | None = None  # detected holds: when the hold was announced

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Score:
    true_holds: int = 0
    detected: int = 0
    matched: int = 0
    start_errors_s: list[float] = field(default_factory=list)
    cap_errors_s: list[float] = field(default_factory=list)
    missed_caps: int = 0
    false_caps: int = 0
    true_caps: int = 0
    announce_delays_s: list[float] = field(default_factory=list)

    def add(self, other: Score) -> Score:
        return Score(
            self.true_holds + other.true_holds,
            self.detected + other.detected,
            self.matched + other.matched,
            self.start_errors_s + other.start_errors_s,
            self.cap_errors_s + other.cap_errors_s,
            self.missed_caps + other.missed_caps,
            self.false_caps + other.false_caps,
            self.true_caps + other.true_caps,
            self.announce_delays_s + other.announce_delays_s,
        )

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.true_holds if self.true_holds else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if (p + r) else 0.0

    def start_error_median_s(self) -> float:
        return float(np.median(np.abs(self.start_errors_s))) if self.start_errors_s else 0.0

    def start_error_p95_s(self) -> float:
        return float(np.percentile(np.abs(self.start_errors_s), 95)) if self.start_errors_s else 0.0

    def cap_error_p95_s(self) -> float:
        return float(np.percentile(self.cap_errors_s, 95)) if self.cap_errors_s else 0.0

    def announce_delay_median_s(self) -> float:
        return float(np.median(self.announce_delays_s)) if self.announce_delays_s else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "true_holds": self.true_holds,
            "detected": self.detected,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "start_error_median_s": round(self.start_error_median_s(), 3),
            "start_error_p95_s": round(self.start_error_p95_s(), 3),
            "cap_error_p95_s": round(self.cap_error_p95_s(), 3),
            "announce_delay_median_s": round(self.announce_delay_median_s(), 3),
            "true_caps": self.true_caps,
            "missed_caps": self.missed_caps,
            "false_caps": self.false_caps,
        }


def match(detected: Sequence[Interval], truth: Sequence[Interval], collar_s: float = COLLAR_S) -> list[tuple[int, int]]:
    """One-to-one (detected index, true index) pairs, closest starts first."""
    pairs = []
    for i, d in enumerate(detected):
        for j, g in enumerate(truth):
            err = abs(d.start_s - g.start_s)
            if err > collar_s:
                continue
            cover = min(d.end_s, g.end_s) - max(d.start_s, g.start_s)
            if g.duration_s <= 0 or cover < MIN_COVER * g.duration_s:
                continue
            pairs.append((err, i, j))
    pairs.sort()
    used_d, used_t, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_d and j not in used_t:
            used_d.add(i)
            used_t.add(j)
            out.append((i, j))
    return sorted(out)


def score(
    detected: Sequence[Interval], truth: Sequence[Interval], cap_s: float = 20.0, collar_s: float = COLLAR_S,
    stream_end_s: float | None = None,
) -> Score:
    """Score one session. ``stream_end_s``: where the recording stops; a true hold cut off by it
    less than ``collar_s`` after its cap is not counted for caps (the stream may end first)."""
    pairs = match(detected, truth, collar_s)
    by_true = {j: i for i, j in pairs}
    by_det = {i: j for i, j in pairs}
    s = Score(true_holds=len(truth), detected=len(detected), matched=len(pairs))
    s.start_errors_s = [detected[i].start_s - truth[j].start_s for i, j in pairs]
    s.announce_delays_s = [
        detected[i].confirmed_s - truth[j].start_s for i, j in pairs if detected[i].confirmed_s is not None
    ]
    for j, g in enumerate(truth):
        if g.duration_s < cap_s:
            continue
        if stream_end_s is not None and g.end_s >= stream_end_s - 1e-9 and g.start_s + cap_s + collar_s > stream_end_s:
            continue
        s.true_caps += 1
        i = by_true.get(j)
        if i is None or detected[i].cap_at_s is None:
            s.missed_caps += 1
        else:
            s.cap_errors_s.append(abs(float(detected[i].cap_at_s) - (g.start_s + cap_s)))
    for i, d in enumerate(detected):
        if d.cap_at_s is None:
            continue
        inside = any(g.start_s <= d.cap_at_s <= g.end_s + collar_s for g in truth)
        if i not in by_det or not inside:
            s.false_caps += 1
    return s


def true_holds(segments: Iterable[Any]) -> list[Interval]:
    """Hold intervals from ground-truth segments (objects or dicts with kind/start_s/end_s)."""
    out = []
    for seg in segments:
        kind = seg["kind"] if isinstance(seg, dict) else seg.kind
        if kind == "hold":
            a = seg["start_s"] if isinstance(seg, dict) else seg.start_s
            b = seg["end_s"] if isinstance(seg, dict) else seg.end_s
            out.append(Interval(float(a), float(b)))
    return out


def detected_holds(holds: Iterable[Any]) -> list[Interval]:
    """Intervals from the pipeline's :class:`~smr_sense.core.session.HoldStats`."""
    return [Interval(h.start_s, h.end_s, h.cap_at_s, h.confirmed_s) for h in holds]

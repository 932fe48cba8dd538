"""The dashboard's analysis never stops the recording, and finish announces only what was not news."""

from __future__ import annotations

from smr_sense.core.events import HoldEnded, HoldStarted
from smr_sense.core.pipeline import Pipeline, SessionSettings, analyze_block
from smr_sense.core.samples import Marker
from smr_sense.recording import load_any
from smr_sense.routine import MUSCLE_GROUP_MARKER
from smr_sense.tui.session import DashboardSession
from tui_helpers import recording


def _feed_in_blocks(session: DashboardSession, block, size: int = 37) -> list:
    events = []
    for a in range(0, len(block), size):
        events += session.feed(block.slice(a, min(a + size, len(block))))
    return events


def test_a_failing_marker_stops_the_analysis_and_nothing_recorded_is_lost(tmp_path, monkeypatch):
    rec = recording("edge_hold_25s.csv")
    half = len(rec.block) // 2
    session = DashboardSession(SessionSettings(), record_path=tmp_path / "s.smr")
    session.start(rec.info)
    _feed_in_blocks(session, rec.block.slice(0, half))
    assert session.problem is None and session.status is not None

    def mark_then_fail(self, marker):
        raise RuntimeError("a bug in mark")

    monkeypatch.setattr(Pipeline, "mark", mark_then_fail)
    group = Marker(float(rec.block.t_s[half - 1]), MUSCLE_GROUP_MARKER, {"group": "hamstrings"})
    assert session.mark(group) == []
    assert session.problem.startswith("The analysis stopped on an internal error (RuntimeError: a bug in mark)")
    assert _feed_in_blocks(session, rec.block.slice(half, len(rec.block))) == []  # no analysis from here ...
    outcome = session.finish()
    assert outcome.error is None and session.recording_state == "saved"
    kept = load_any(tmp_path / "s.smr")  # ... but every sample, and the marker, is in the recording
    assert len(kept.block) == len(rec.block)
    assert [m.kind for m in kept.markers] == [MUSCLE_GROUP_MARKER]
    assert any("internal error" in w for w in outcome.warnings)


def test_finish_announces_only_the_hold_it_closes(tmp_path):
    # The stream stops 10 s into the 25 s hold: the hold was news when it started, only its end is
    # announced by finish, and together they are what analyze says of the same samples.
    rec = recording("edge_hold_25s.csv", until_s=24.0)
    session = DashboardSession(SessionSettings())
    session.start(rec.info)
    live = _feed_in_blocks(session, rec.block)
    assert [type(e) for e in live if isinstance(e, (HoldStarted, HoldEnded))] == [HoldStarted]
    closing = session.finish().events
    assert [type(e) for e in closing if isinstance(e, (HoldStarted, HoldEnded))] == [HoldEnded]
    whole = analyze_block(rec.info, rec.block)
    assert [e.kind for e in live + list(closing)] == [e.kind for e in whole.events]
    assert closing[-1].t_s == whole.events[-1].t_s

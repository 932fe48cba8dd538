"""The summary screen at the end of a dashboard session: what it says, and that it says it once."""

from __future__ import annotations

import resource

import numpy as np
from textual.widgets import Static

from smr_sense.core.pipeline import SessionSettings
from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.sources import make_source
from smr_sense.tui.session import DashboardSession
from tui_helpers import RECORDINGS, app_for, summary_shown, wait_for

SIZE = (100, 32)


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def test_a_disk_that_fills_is_said_once_on_the_summary_with_the_samples_kept(tmp_path):
    # It was said twice: a warning "The recording stopped: ..." and an error "the recording stopped early: ...".
    out = tmp_path / "s.smr"
    app = app_for(make_source(f"replay:{RECORDINGS / 'edge_hold_25s.csv'}?speed=max"), record_path=out)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))  # 49 s of samples need more
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: summary_shown(app), "the summary at the end of the replay")
            said = screen_text(app)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    kept = app.session.writer.written
    assert 0 < kept < 4880
    assert said.lower().count("the recording stopped") == 1, said
    assert f"The recording stopped early: cannot write {out}: File too large; it keeps the {kept} samples" in said
    assert not any("recording" in w for w in app.session.outcome.warnings)


def test_a_disk_that_fills_leaves_the_missing_calibration_said_too(tmp_path):
    # The recording's sentence replaced the calibration's, on the banner and in the summary.
    info = StreamInfo("test", "hx711-1", "Bare load cell", (Channel("load", unit="count"),), 100.0)
    live = DashboardSession(SessionSettings(), record_path=tmp_path / "s.smr")
    live.start(info)
    live.writer.flush_interval_s = 0.0  # every block goes to the disk at once
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, hard))
    try:
        for i in range(60):
            t = np.arange(i * 100, (i + 1) * 100) / 100.0
            live.feed(SampleBlock.build(t, np.full(t.size, 81234.0)))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert live.problem.startswith("The recording stopped: cannot write") and "press c to calibrate" in live.problem
    outcome = live.finish()
    assert len(outcome.warnings) == 1 and "press c to calibrate" in outcome.warnings[0]
    assert outcome.error.startswith("the recording stopped early: cannot write")

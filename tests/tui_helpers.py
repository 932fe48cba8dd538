"""Shared by the dashboard tests: real sources over real recordings, and waiting on the real app."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from smr_sense.core.pipeline import SessionSettings
from smr_sense.recording import Recording, load_any
from smr_sense.sources.replay import ReplaySource
from smr_sense.tui.app import DisplaySettings, make_app

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings"


def recording(name: str, until_s: float | None = None) -> Recording:
    rec = load_any(RECORDINGS / name)
    if until_s is not None:
        stop = int(np.searchsorted(rec.block.t_s, until_s, side="left"))
        rec = dataclasses.replace(rec, block=rec.block.slice(0, stop))
    return rec


def replay(rec: Recording, speed: float = float("inf"), spec: str | None = None, start_s: float = 0.0) -> ReplaySource:
    """A replay source on an in-memory recording; ``spec`` fixes what the header shows (snapshots)."""
    name = spec or f"replay:{rec.path.name}"
    return ReplaySource(name, str(rec.path), speed=speed, start_s=start_s, recording=rec)


def app_for(source, *, settings: SessionSettings | None = None, bell: bool = False, **kwargs):
    return make_app(source, settings or SessionSettings(), display=DisplaySettings(bell=bell), **kwargs)


async def wait_for(pilot, condition, what: str, limit_s: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds; the limit only turns a hang into a failure."""
    steps = int(limit_s / 0.05)
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def summary_shown(app) -> bool:
    from smr_sense.tui.screens.summary import SummaryScreen

    return isinstance(app.screen, SummaryScreen)

"""The dashboard's analysis, guarded so that it never stops the recording.

A dashboard session records every sample whatever happens to the analysis: a roller without a
calibration has no force to analyse (the banner says why, the samples are kept), and a bug in the
analysis stops the analysis alone. :class:`GuardedAnalysis` holds the pipeline (None while there is
no force), the one sentence that says why there is none, and how many events the pipeline has
announced, so that what ``finish`` closes (an open hold) is told apart from what was news already.
"""

from __future__ import annotations

from typing import Any

from smr_sense.core.calibration import CalibrationError
from smr_sense.core.events import Event
from smr_sense.core.pipeline import Pipeline, PipelineOutput, SessionSettings
from smr_sense.core.samples import Marker, SampleBlock, StreamInfo
from smr_sense.emulator.roller import NO_WEIGHTS_ADVICE, is_emulated
from smr_sense.errors import SmrError


class GuardedAnalysis:
    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self.problem: str | None = None  # why there is no force (no calibration ...), one sentence
        self.measured = False  # some of the session went through a pipeline (a calibration was in force)
        self.uncalibrated = False  # no pipeline because the roller sends counts with no calibration
        self._announced = 0  # events this pipeline has announced so far

    def build(self, info: StreamInfo, settings: SessionSettings) -> None:
        """A fresh pipeline for ``info`` (the stream opened, a seek, a first calibration)."""
        self._announced = 0
        self.uncalibrated = False
        try:
            self.pipeline = Pipeline(info, settings)
            self.measured = True
            self.problem = None
        except CalibrationError as err:
            # A roller without a calibration: keep recording, show why there is no force.
            self.pipeline = None
            self.uncalibrated = True
            if is_emulated(info.device_id):  # the wizard cannot weigh on it (nor can calibrate)
                self.problem = f"{info.device_name} sends raw counts and has no calibration; {NO_WEIGHTS_ADVICE}"
            else:
                self.problem = f"{err} (press c to calibrate)"
        except SmrError as err:
            self.pipeline = None
            self.problem = str(err)
        except Exception as err:  # a bug in the analysis must not stop the recording
            self._failed(err)

    def wait(self, problem: str) -> None:
        """No pipeline until a marker brings a calibration (``build`` then); ``problem`` says so."""
        self.pipeline = None
        self._announced = 0
        self.problem = problem
        self.uncalibrated = True

    def _failed(self, err: Exception) -> None:
        self.pipeline = None
        self.uncalibrated = False
        self.problem = (
            f"The analysis stopped on an internal error ({type(err).__name__}: {err}); "
            "the samples are still recorded"
        )

    @property
    def status(self) -> Any:
        return self.pipeline.status if self.pipeline is not None else None

    def unpin(self) -> None:
        """The wizard's choices beat what a replay's command line pinned (see ``SessionSettings``)."""
        if self.pipeline is not None:
            self.pipeline.settings = self.pipeline.settings.replace(pinned=frozenset())

    def feed(self, block: SampleBlock) -> PipelineOutput | None:
        """The pipeline's output for ``block``; None when there is no pipeline (or it just failed)."""
        if self.pipeline is None:
            return None
        try:
            out = self.pipeline.feed(block)
        except Exception as err:  # see build: the recording goes on, the banner says why
            self._failed(err)
            return None
        self._announced += len(out.events)
        return out

    def mark(self, marker: Marker) -> list[Event]:
        if self.pipeline is None:
            return []
        try:
            events = list(self.pipeline.mark(marker))
        except Exception as err:  # see build
            self._failed(err)
            return []
        self._announced += len(events)
        return events

    def finish(self) -> tuple[list[str], list[Event], str | None]:
        """Close the pipeline: (its warnings, the events only closing announces, an error)."""
        if self.pipeline is None:
            return [], [], None
        try:
            result = self.pipeline.finish()
        except SmrError as err:
            return [], [], str(err)
        except Exception as err:  # see build: the recording and the summary are still saved
            self._failed(err)
            return [], [], self.problem
        # result.events is the whole session; only the tail (an open hold closed) is news.
        return list(result.warnings), list(result.events[self._announced :]), None

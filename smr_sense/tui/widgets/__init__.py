"""Dashboard widgets: reactive state in, drawing out, no domain logic."""

from smr_sense.tui.widgets.banner import Banner
from smr_sense.tui.widgets.event_log import EventLog
from smr_sense.tui.widgets.force import ForceBar, ForceReadout
from smr_sense.tui.widgets.header import StatusHeader
from smr_sense.tui.widgets.hold_timer import HoldTimer
from smr_sense.tui.widgets.playback_bar import PlaybackBar
from smr_sense.tui.widgets.plot import ForcePlot, PlotData
from smr_sense.tui.widgets.routine_panel import RoutinePanel, RoutineRow
from smr_sense.tui.widgets.state_badge import StateBadge

__all__ = [
    "Banner",
    "EventLog",
    "ForceBar",
    "ForcePlot",
    "ForceReadout",
    "HoldTimer",
    "PlaybackBar",
    "PlotData",
    "RoutinePanel",
    "RoutineRow",
    "StateBadge",
    "StatusHeader",
]

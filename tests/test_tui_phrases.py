"""The event log's sentences: forces in the unit on screen, and a ceiling line that reads true."""

import pytest

from smr_sense.core.events import CeilingExceeded, HoldEnded
from smr_sense.routine import RoutineTracker
from smr_sense.tui.phrases import describe_event

ENDED = HoldEnded(31.0, 12.0, 31.0, 19.0, 306.0, 350.0, False, None, 0.0)


@pytest.mark.parametrize(
    "unit, mass_kg, said",
    [
        ("N", 80.0, "Hold ended: 19.0 s at 306 N"),
        ("kg", 80.0, "Hold ended: 19.0 s at 31.2 kg"),  # 306 N / 9.80665
        ("%BW", 80.0, "Hold ended: 19.0 s at 39 %BW"),  # 31.2 kg of 80 kg
        ("%BW", None, "Hold ended: 19.0 s at 306 N"),  # no body weight: newtons, as the readout falls back
    ],
)
def test_a_hold_is_logged_in_the_unit_on_screen(unit, mass_kg, said):
    line = describe_event(ENDED, RoutineTracker(), 0.0, unit, mass_kg)
    assert line == f" 0:31.0  {said}"


def test_the_ceiling_line_names_the_ceiling_not_a_force_rounded_to_the_same_number():
    # The first sample over a 429.4 N ceiling read 429.45 N: both rounded, it said "429 N > 429 N".
    line = describe_event(CeilingExceeded(40.0, force_n=429.45, ceiling_n=429.4), RoutineTracker(), 0.0, "kg", 70.0)
    assert line == " 0:40.0  Above your ceiling of 43.8 kg: ease off"
    assert CeilingExceeded(40.0, force_n=429.45, ceiling_n=429.4).text() == "TOO MUCH PRESSURE: above your ceiling of 429 N"


def test_a_hold_that_goes_on_says_so_under_its_ended_line():
    from smr_sense.core.events import HoldContinued

    line = describe_event(HoldContinued(35.5, start_s=12.0, ended_s=31.0), RoutineTracker(), 0.0)
    assert line == " 0:35.5  Same spot: the hold goes on"


@pytest.mark.parametrize("t_s, clock", [(31.0, " 0:31.0"), (3606.5, "1:00:06.5")])
def test_a_long_line_wraps_under_its_text_past_the_hour_too(t_s, clock):
    from smr_sense.tui.widgets.event_log import wrapped

    line = describe_event(HoldEnded(t_s, t_s - 21.0, t_s, 21.0, 306.0, 350.0, True, t_s - 1.0, 1.0), RoutineTracker(), 0.0)
    lines = wrapped(line, 32)
    assert lines[0].startswith(f"{clock}  Hold ended:") and len(lines) > 1
    # The times stay a column of their own: what follows a wrap starts where the first line's text did.
    indent = len(clock) + 2
    assert all(len(x) <= 32 and x[:indent].isspace() and not x[indent].isspace() for x in lines[1:])


def test_the_warning_line_says_the_seconds_left_as_they_are():
    from smr_sense.core.events import HoldWarning

    line = describe_event(HoldWarning(24.5, start_s=21.0, remaining_s=3.5), RoutineTracker(), 0.0)
    assert line == " 0:24.5  3.5 s left in this hold"  # a 7 s cap, half way: it said "4 s"


def test_a_path_breaks_after_a_folder_and_a_name_too_long_for_a_line_keeps_one_of_its_own():
    from pathlib import PurePath

    from smr_sense.tui.phrases import path_lines

    path = PurePath("/home/someone/.config/smr-sense/profiles/sim-imu-7.json")
    assert path_lines(path, 60) == [str(path)]
    assert path_lines(path, 32) == ["/home/someone/.config/smr-sense/", "  profiles/sim-imu-7.json"]
    assert path_lines(path, 12) == ["/home/", "  someone/", "  .config/", "  smr-sense/", "  profiles/", "  sim-imu-7.json"]

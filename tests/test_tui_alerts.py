"""The banner's health sentences: each said once when it changes, none hiding a worse one."""

from smr_sense.devices.stream import ANOTHER_DEVICE
from smr_sense.tui.alerts import RECONNECTING, WARNING, HealthWatch


def test_a_problem_is_said_once_and_cleared_once():
    watch = HealthWatch()
    assert watch.poll("No calibration.", "streaming", None, False) == [("No calibration.", WARNING)]
    assert watch.poll("No calibration.", "streaming", None, True) == []
    assert watch.poll(None, "streaming", None, True) == [("", WARNING)]
    assert watch.poll(None, "streaming", None, False) == []


def test_a_drop_is_said_when_it_starts_unless_a_problem_holds_the_banner():
    watch = HealthWatch()
    watch.poll(None, "streaming", None, False)
    assert watch.poll(None, "reconnecting", None, False) == [(RECONNECTING, WARNING)]
    assert watch.link_changed
    assert watch.poll(None, "reconnecting", None, True) == []
    assert not watch.link_changed

    busy = HealthWatch()
    busy.poll(None, "streaming", None, False)
    # The recording stopped in the same moment: that sentence stays, the drop shows in the header.
    assert busy.poll("The recording stopped: disk full.", "reconnecting", None, False) == [
        ("The recording stopped: disk full.", WARNING)
    ]


def test_another_roller_answering_is_named_while_reconnecting_only():
    watch = HealthWatch()
    watch.poll(None, "reconnecting", None, False)
    error = f"{ANOTHER_DEVICE} at this address (roller-B, not roller-A)"
    assert watch.poll(None, "reconnecting", error, True) == [(f"The roller is disconnected; {error}.", WARNING)]
    assert watch.poll(None, "reconnecting", error, True) == []  # said once
    assert watch.poll(None, "streaming", error, True) == []  # back: an old error is not news

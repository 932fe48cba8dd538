"""The header's samples-per-second figure, from stream time alone."""

import pytest

from smr_sense.tui.stream_rate import StreamRate


def feed(rate: StreamRate, rate_hz: float, seconds: float, block: int, t0_s: float = 0.0) -> float:
    """Blocks of ``block`` samples at ``rate_hz`` for ``seconds``; returns the next sample's time."""
    t = t0_s
    for _ in range(int(seconds * rate_hz / block)):
        rate.add(t, t + (block - 1) / rate_hz, block)
        t += block / rate_hz
    return t


@pytest.mark.parametrize("block", [1, 10, 64])
def test_rate_is_what_the_roller_sent_however_it_is_blocked(block):
    rate = StreamRate()
    feed(rate, 200.0, 5.0, block)
    assert rate.hz == pytest.approx(200.0, rel=1e-9)


def test_only_the_last_two_seconds_count():
    rate = StreamRate()
    t = feed(rate, 1000.0, 5.0, 10)
    feed(rate, 50.0, 3.0, 1, t0_s=t)  # the roller slowed down: the old rate is forgotten
    assert rate.hz == pytest.approx(50.0, rel=1e-9)


def test_no_rate_from_nothing_or_from_one_sample_or_after_a_seek():
    rate = StreamRate()
    assert rate.hz is None
    rate.add(3.0, 3.0, 1)
    assert rate.hz is None  # one sample spans no time
    feed(rate, 100.0, 2.0, 5, t0_s=4.0)
    assert rate.hz is not None
    rate.clear()
    assert rate.hz is None

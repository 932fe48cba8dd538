"""A text sketch's nominal rate: given, read off its time stamps, or assumed, and the one sentence
that says it was only assumed and what to do about it."""

from __future__ import annotations

import pytest

from smr_sense.core.wire import TextLineDecoder
from smr_sense.core.wire.text_rate import assumed_rate_warning

PORT = "serial:/dev/ttyACM0"


def described(lines: bytes, **options) -> TextLineDecoder:
    dec = TextLineDecoder(source=PORT, device_id="nano", **options)
    dec.feed(lines)
    assert dec.info is not None
    return dec


def test_how_the_nominal_rate_was_set_is_in_the_description() -> None:
    given = described(b"1,2\n3,4\n", rate_hz=80.0)
    read = described(b"".join(b"t_ms:%d,load:1\n" % (10 * i) for i in range(16)))
    assumed = described(b"1,2\n3,4\n")
    assert [d.info.extra["rate_from"] for d in (given, read, assumed)] == ["given", "time stamps", "default"]
    assert [d.info.rate_hz for d in (given, read, assumed)] == [80.0, pytest.approx(100.0), 50.0]
    assert [assumed_rate_warning(d.info, f"{PORT}?rate=HZ") for d in (given, read)] == [None, None]


@pytest.mark.parametrize(
    ("lines", "options", "said"),
    [
        (
            b"1,2\n3,4\n",
            {},
            f"{PORT} sends no time column, so its samples are timed as 50 per second; if the device sends "
            f"at another rate, give it ({PORT}?rate=HZ), or every hold is timed wrong",
        ),
        (  # millis() under a name that says seconds: 0.1 Hz, and every time 1000 times too long
            b"t,load\n" + b"".join(b"%d,5\n" % (10 * i) for i in range(16)),
            {},
            f"{PORT} sends a time column t that, read in seconds, steps at 0.1 Hz, outside the 5-2000 Hz a "
            "roller streams at, so the hold detector assumes 50 Hz; if it counts milliseconds, name it t_ms "
            "in the sketch, or every hold is timed wrong",
        ),
        (
            b"".join(b"%d,5\n" % (10 * i) for i in range(16)),
            {"columns": ("t", "load")},
            f"{PORT} sends a time column t that, read in seconds, steps at 0.1 Hz, outside the 5-2000 Hz a "
            "roller streams at, so the hold detector assumes 50 Hz; if it counts milliseconds, name it t_ms "
            "in the source's columns=, or every hold is timed wrong",
        ),
        (  # no unit makes these a roller's rate
            b"t_s,load\n" + b"".join(b"%.6f,1\n" % (i * 1e-6) for i in range(16)),
            {},
            f"{PORT} sends a time column t_s that, read in seconds, steps at 1e+06 Hz, outside the 5-2000 Hz "
            f"a roller streams at, so the hold detector assumes 50 Hz; if the device sends at another rate, "
            f"give it ({PORT}?rate=HZ)",
        ),
        (
            b"t_ms,load\n" + b"1000,5\n" * 16,
            {},
            f"{PORT} sends a time column t_ms that never steps forward, so the hold detector assumes 50 Hz; "
            f"have the sketch print its clock there (millis() in a t_ms column), or give the rate ({PORT}?rate=HZ)",
        ),
    ],
)
def test_a_rate_only_assumed_is_said_in_one_sentence_with_what_to_do(lines, options, said) -> None:
    # The decoder fell back to 50 Hz in silence when a time column's stamps gave no rate a roller
    # streams at: the detector's windows, sized in samples, were then the wrong length.
    info = described(lines, **options).info
    assert info.rate_hz == 50.0 and info.extra["rate_from"] == "default"
    assert assumed_rate_warning(info, f"{PORT}?rate=HZ") == said

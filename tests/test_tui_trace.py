"""The plot's trace: binning keeps peaks and holds, chunking does not matter, the span is bounded."""

import numpy as np

from smr_sense.tui.trace import STATE_HOLD, STATE_ROLLING, ForceTrace, state_codes


def test_chunked_equals_whole_and_peaks_survive():
    t = np.arange(0, 40, 0.001)
    f = 100 + 50 * np.sin(t)
    f[12345] = 999.0  # a one-sample peak
    s = np.where((t > 10) & (t < 12), STATE_HOLD, STATE_ROLLING).astype(np.int8)
    whole, chunked = ForceTrace(30), ForceTrace(30)
    whole.add(t, f, s)
    rng = np.random.default_rng(1)
    i = 0
    while i < t.size:
        j = i + int(rng.integers(1, 700))
        chunked.add(t[i:j], f[i:j], s[i:j])
        i = j
    a, b = whole.window(40.0, 30.0), chunked.window(40.0, 30.0)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert a[0][0] >= 10.0 and a[1].max() == 999.0
    assert set(np.unique(a[2][(a[0] > 10.1) & (a[0] < 11.9)])) == {STATE_HOLD}


def test_state_words_and_codes():
    assert list(state_codes(np.array(["off", "rolling", "hold"]))) == [0, 1, 2]
    assert list(state_codes(np.array([0, 2, 1]))) == [0, 2, 1]

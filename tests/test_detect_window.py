"""The moving range (force-only cue) is exact and chunking-independent."""

import numpy as np
import pytest

from smr_sense.core.detect.window import MovingRange


@pytest.mark.parametrize("w", [1, 2, 7, 300])
def test_moving_range_matches_the_definition_in_any_chunking(w):
    x = np.random.default_rng(4).normal(size=3000)
    expected = np.array([np.ptp(x[max(0, i - w + 1) : i + 1]) for i in range(x.size)])
    whole = MovingRange(w).step(x)
    m = MovingRange(w)
    ones = np.concatenate([m.step(x[i : i + 1]) for i in range(x.size)])
    m = MovingRange(w)
    cuts = [0, 5, 5, 400, 401, 1999, 3000]
    pieces = np.concatenate([m.step(x[a:b]) for a, b in zip(cuts[:-1], cuts[1:])])
    assert np.array_equal(whole, expected)
    assert np.array_equal(ones, expected)
    assert np.array_equal(pieces, expected)

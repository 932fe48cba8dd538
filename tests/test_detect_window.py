"""The moving range and max (force-only cue) are exact and chunking-independent."""

import numpy as np
import pytest

from smr_sense.core.detect.window import MovingMax, MovingRange, RecentBlocks


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


@pytest.mark.parametrize("make, reference", [(MovingRange, np.ptp), (MovingMax, np.max)], ids=["range", "max"])
@pytest.mark.parametrize("w", [1, 3, 50])
def test_moving_window_with_ties_and_short_and_long_blocks_mixed(w, make, reference):
    """Short blocks go through queues, long ones through van Herk: switching between them, and
    values that repeat (ties), must not change a bit."""
    rng = np.random.default_rng(9)
    x = np.round(rng.normal(size=4000), 1)  # many equal values
    expected = np.array([reference(x[max(0, i - w + 1) : i + 1]) for i in range(x.size)])
    m = make(w)
    out, i = [], 0
    while i < x.size:
        n = int(rng.choice([1, 2, 8, 9, 30, 200]))
        out.append(m.step(x[i : i + n]))
        i += n
    assert np.array_equal(np.concatenate(out), expected)
    assert np.array_equal(make(w).step(x), expected)


def test_recent_blocks_join_one_sample_blocks_without_changing_the_samples():
    """Live, blocks are often one sample: thousands of them are kept as a few joined blocks, with
    the same samples in the same order, and dropping the old ones still works across the joins."""
    rng = np.random.default_rng(3)
    recent = RecentBlocks()
    t = np.arange(1000) * 0.01
    x = rng.normal(size=1000)
    pos = [None] * 1000
    for i in range(600):  # one sample at a time
        recent.append((t[i : i + 1], x[i : i + 1], pos[i]))
    recent.append((t[600:700], x[600:700], None))  # one long block, kept as it came
    for i in range(700, 1000):
        recent.append((t[i : i + 1], x[i : i + 1], None))
    assert len(recent) < 100  # 900 one-sample blocks and a long one, at most MERGE - 1 unjoined per run
    assert np.array_equal(np.concatenate([b[0] for b in recent]), t)
    assert np.array_equal(np.concatenate([b[1] for b in recent]), x)
    assert all(b[2] is None for b in recent)
    recent.drop_ending_before(5.0)
    kept = np.concatenate([b[0] for b in recent])
    assert kept[-1] == t[-1] and kept[0] <= 5.0 and kept[0] > 5.0 - 0.01 * RecentBlocks.SHORT
    assert np.array_equal(kept, t[t >= kept[0]])

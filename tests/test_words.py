from smr_sense.core.words import counted


def test_one_is_singular_and_every_other_count_plural():
    assert counted(1, "hold") == "1 hold"
    assert [counted(n, "hold") for n in (0, 2)] == ["0 holds", "2 holds"]
    assert counted(1, "sample was", "samples were") == "1 sample was"
    assert counted(3, "sample was", "samples were") == "3 samples were"

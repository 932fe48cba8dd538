from smr_sense.core.words import counted


def test_one_is_singular_and_every_other_count_plural():
    assert counted(1, "hold") == "1 hold"
    assert [counted(n, "hold") for n in (0, 2)] == ["0 holds", "2 holds"]
    assert counted(1, "sample was", "samples were") == "1 sample was"
    assert counted(3, "sample was", "samples were") == "3 samples were"


def test_a_repair_warning_agrees_with_its_count():
    from smr_sense.core.condition import ConditionStats

    assert ConditionStats(dropped_time=1).warnings() == [
        "1 sample was dropped because its time repeated or went backwards"
    ]
    assert ConditionStats(dropped_time=2, zeroed_values=1).warnings() == [
        "2 samples were dropped because their time repeated or went backwards",
        "1 missing or impossible value came before any good value on its channel and was read as zero",
    ]

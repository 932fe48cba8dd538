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


def test_durations_of_an_hour_or_more_are_hours_minutes_seconds():
    # 2.6 h printed as "158:41 min".
    from smr_sense.core.words import duration, mmss

    assert [mmss(s) for s in (0.0, 5.96, 65.0, 3599.4)] == ["0:00", "0:06", "1:05", "59:59"]
    assert [mmss(s) for s in (3599.6, 3600.0, 9521.0, 36061.0)] == ["1:00:00", "1:00:00", "2:38:41", "10:01:01"]
    assert duration(725.0) == "12:05 min" and duration(9521.0) == "2:38:41"
    # A replay of a short bench: "0:10 min of rolling" read as a typo.
    assert duration(10.4) == "10 s" and duration(59.6) == "1:00 min" and duration(0.0) == "0 s"


def test_the_playback_bar_counts_hours_too():
    from smr_sense.tui.widgets.playback_bar import clock

    assert [clock(s) for s in (59.9, 61.0, 9521.9)] == ["0:59", "1:01", "2:38:41"]


def test_the_playback_position_never_reads_past_the_end():
    from smr_sense.tui.widgets.playback_bar import position_text

    assert position_text(180.0, 179.99) == "3:00 / 3:00"  # it read "3:00 / 2:59" at the end of a replay
    assert position_text(179.99, 179.99) == "3:00 / 3:00"  # the length as the summary rounds it
    assert position_text(61.5, 179.99) == "1:01 / 3:00" and position_text(179.5, 179.99) == "2:59 / 3:00"
    assert position_text(4.0, 0.0) == "0:04 / 0:00"  # a duration not known yet


def test_the_event_logs_clock_counts_hours_and_never_shows_sixty_seconds():
    from smr_sense.tui.phrases import _t

    assert _t(5.04, 0.0) == " 0:05.0"
    assert _t(59.96, 0.0) == " 0:59.9"  # rounded, it read " 0:60.0"
    assert _t(3599.99, 0.0) == "59:59.9"
    assert _t(9521.3, 0.0) == "2:38:41.3"  # not "158:41.3"
    assert _t(130.0, 100.0) == " 0:30.0"  # from the session's first sample
    assert _t(1012.3, 1000.0) == " 0:12.3"  # 12.299999999999955 s after a boot-time origin


def test_a_line_is_capitalised_unless_it_starts_with_a_files_name():
    from smr_sense.core.words import as_sentence

    # The summary screen and report said "! Trunc300k.smr ends part-way through a chunk".
    assert as_sentence("trunc300k.smr ends part-way through a chunk") == "trunc300k.smr ends part-way through a chunk"
    assert as_sentence("session.csv: line 3 is cut short") == "session.csv: line 3 is cut short"
    assert as_sentence("the roller was first calibrated at 30.00 s") == "The roller was first calibrated at 30.00 s"
    assert as_sentence("losing 99 samples") == "Losing 99 samples" and as_sentence("") == ""


def test_a_count_of_holds_says_how_many_reached_the_cap_only_when_there_are_holds():
    from smr_sense.core.words import caps_reached

    assert caps_reached(0, 0, over_s=0.0) == ""
    assert caps_reached(1, 1, over_s=9.44) == " (1 reached the cap, 9.4 s over)"
    assert caps_reached(4, 1, "the 20 s cap") == " (1 reached the 20 s cap)"

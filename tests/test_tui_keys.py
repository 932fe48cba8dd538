"""The keys card: a narrow terminal's footer cuts keys off, ``?`` shows every one of them."""

from __future__ import annotations

import numpy as np

from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.recording import RecordingWriter
from smr_sense.sources import make_source
from smr_sense.tui.screens.keys import KeysScreen
from smr_sense.tui.widgets import HoldTimer
from tui_helpers import app_for, recording, replay, wait_for

REPLAY_KEYS = ("Pause or play the replay", "Replay: back 5 s", "Replay faster", "Replay: jump to the next hold")


def _card_text(app) -> str:
    card = app.screen.query_one("#keys-card")
    return "\n".join(line.text for line in card.render_lines(card.region.reset_offset))


async def test_a_60_column_footer_shows_the_keys_key_and_the_card_lists_every_key():
    app = app_for(replay(recording("imu_routine.smr"), speed=1.0))
    async with app.run_test(size=(60, 18)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the replay to open")
        await pilot.pause()
        from textual.widgets._footer import FooterKey

        shown = {k.key: k for k in app.screen.query(FooterKey)}
        keys_key = shown["question_mark"]
        assert keys_key.region.area and keys_key.region.right <= 60  # on screen, not cut off
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys card")
        await pilot.pause()
        card = app.screen.query_one("#keys-card")
        assert card.region.right <= 60 and card.region.bottom <= 18  # the whole card fits
        text = _card_text(app)
        for what in ("Quit: end the session", "Next muscle group", "previous muscle group", *REPLAY_KEYS,
                     "Force in N, kg or % of body weight", "Terminal bell", "Calibrate the roller"):
            assert what in text
        await pilot.press("n")  # the dashboard's keys wait while the card is up
        assert isinstance(app.screen, KeysScreen)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: not isinstance(app.screen, KeysScreen), "the card to close")
        await pilot.press("question_mark", "escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, KeysScreen), "escape to close the card")


async def test_a_40_column_card_fits_and_wraps_what_a_key_does_never_the_key():
    app = app_for(replay(recording("imu_routine.smr"), speed=1.0))
    async with app.run_test(size=(40, 24)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the replay to open")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys card")
        await pilot.pause()
        card = app.screen.query_one("#keys-card")
        assert card.region.x >= 0 and card.region.right <= 40 and card.region.bottom <= 24
        lines = _card_text(app).splitlines()
        assert any(line.split("│")[1].strip().startswith("space  Pause") for line in lines[1:-1])
        assert "…" not in "".join(lines)
        words = " ".join(" ".join(line.strip("│ ").split()) for line in lines[1:-1])
        for what in ("Quit: end the session and show its summary", "Calibrate the roller (tare, known weights)",
                     *REPLAY_KEYS, "Force in N, kg or % of body weight"):
            assert what in words


async def test_a_live_session_card_has_no_replay_keys():
    app = app_for(make_source("sim:?seed=1&rate=10"))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the stream to open")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys card")
        await pilot.pause()
        text = _card_text(app)
        assert "Calibrate the roller" in text and "Next muscle group" in text
        assert not any(what in text for what in REPLAY_KEYS)


async def test_the_cap_alarm_closes_the_card(tmp_path):
    info = StreamInfo("test", "roller-1", "Roller", (Channel("force", unit="N"),), 50.0)
    t = np.arange(0, 40, 0.02)
    path = tmp_path / "long_hold.smr"
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(t, np.where((t > 2) & (t < 38), 300.0, 0.0)))  # 36 s still: capped
    app = app_for(make_source(f"replay:{path}?speed=4"))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: app.stream_open, "the replay to open")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), "the keys card")
        timer = app.screen_stack[0].query_one(HoldTimer)
        await wait_for(pilot, lambda: bool(app.alarm_t_s), "the cap alarm")
        await pilot.pause()
        assert not isinstance(app.screen, KeysScreen)
        await wait_for(pilot, lambda: timer.has_class("-capped"), "the timer's alarm")
        assert timer.region.area

"""What the calibration wizard says around its steps: the keys in its footer, the toast on saving."""

from __future__ import annotations

import numpy as np

from smr_sense.core.samples import Channel, SampleBlock, StreamInfo
from smr_sense.recording import RecordingWriter, load_recording
from tui_helpers import app_for, recording, replay, wait_for

SIZE = (100, 32)  # a toast there is 50 cells wide: 47 of text


def shown(widget) -> list[str]:
    """What ``widget`` shows on screen, border and all."""
    return [line.text for line in widget.render_lines(widget.region.reset_offset)]


async def test_the_saved_toast_breaks_a_long_path_after_a_folder_never_inside_a_name(tmp_path, monkeypatch):
    # "Saved …/profiles/sim-imu-7." / "json": the toast cut the path wherever its line ended; this
    # one, 98 cells long, as "…/config/use" / "r.json".
    pad = "x" * (98 - len(str(tmp_path / "config" / "user.json")) - 1)
    config = tmp_path / pad / "config"
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(config))
    assert len(str(config / "user.json")) == 98
    source = replay(recording("edge_hold_25s.csv"), speed=1.0)  # force in N: body weight and ceiling only
    app = app_for(source)
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # tests have none unless asked
        await wait_for(pilot, lambda: app.stream_open, "the stream")
        source.set_paused(True)
        await pilot.press("c", "enter", "enter", "enter")  # body weight, ceiling, save
        await wait_for(pilot, lambda: (config / "user.json").exists(), "the settings to be saved")
        await wait_for(pilot, lambda: app.screen.query("Toast"), "the toast")
        await pilot.pause()
        toast = app.screen.query("Toast").last()
        text = [line.strip(" ▌▐") for line in shown(toast)]
        text = [line for line in text if line]
        assert text[0] == "Saved", text
        assert "".join(line.strip() for line in text[1:]) == str(config / "user.json"), text
        assert all(line.endswith("/") for line in text[1:-1]) and text[-1].endswith("/config/user.json"), text
        await pilot.press("q")


def footer_keys(app) -> dict[str, str]:
    """The footer's keys and what it says they do."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    return {key.key: key.description for key in app.screen.query_one(Footer).query(FooterKey)}


def counts_roller(path):
    """A load cell sending raw counts: the wizard starts with the known weights."""
    t = np.arange(0, 10, 0.02)
    info = StreamInfo("bench", "bench-hx711", "Load cell on the bench", (Channel("load", unit="count"),), 50.0)
    with RecordingWriter(path, info) as w:
        w.append(SampleBlock.build(t, np.full(t.size, 81234.0)))
    return load_recording(path)


async def test_every_step_with_an_answer_box_shows_enter_next_in_its_footer(tmp_path, monkeypatch):
    # The body weight (and the weights and the ceiling) steps showed only "esc Cancel": the answer
    # box, focused, took Enter with a binding the footer does not show.
    monkeypatch.setenv("SMR_SENSE_CONFIG_DIR", str(tmp_path / "config"))
    seen = {}
    for rec in (counts_roller(tmp_path / "bench.smr"), recording("edge_hold_25s.csv")):  # weights first; none
        source = replay(rec, speed=1.0)
        app = app_for(source)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.stream_open, "the stream")
            source.set_paused(True)
            await pilot.press("c")
            for _ in range(2 if rec.info.channels[0].unit == "N" else 1):
                seen[str(app.screen.query_one("#wizard-title").render()).split(" · ")[-1]] = footer_keys(app).get("enter")
                await pilot.press("enter")
            await pilot.press("escape")
    assert seen == {"Known weights": "Next", "Body weight": "Next", "Pressure ceiling": "Next"}

"""What the calibration wizard says around its steps: the keys in its footer, the toast on saving."""

from __future__ import annotations

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

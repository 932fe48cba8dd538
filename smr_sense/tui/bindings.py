"""The dashboard's keys: what each does, how the footer groups them, which need a replay.

Every key has a tooltip: the keys card (``?``) shows it, so a narrow terminal whose footer cuts
keys off still tells where every one is.
"""

from __future__ import annotations

from textual.binding import Binding

# Pairs of keys share one label in the footer ("←→ Seek"), so that a replay's keys fit 100 columns.
GROUP, SEEK, SPEED = (Binding.Group(what, compact=True) for what in ("Muscle group", "Seek", "Speed"))

DASHBOARD_BINDINGS = [
    Binding("q", "quit", "Quit", tooltip="Quit: end the session and show its summary"),
    # Second, so a narrow terminal (whose footer cuts the rest off) still shows where every key is.
    Binding("question_mark", "keys", "Keys", key_display="?", tooltip="Every key, on one card"),
    # Ctrl-C ends the session as q does (as it stops `record`), not Textual's "press ctrl+q" hint.
    Binding("ctrl+q,ctrl+c", "quit", "Quit", show=False, priority=True),
    Binding("down", "group(1)", "Next group", key_display="↓", tooltip="Next muscle group, bottom up", group=GROUP),
    Binding("up", "group(-1)", "Back", key_display="↑", tooltip="Back to the previous muscle group", group=GROUP),
    Binding("space", "pause", "Pause", tooltip="Pause or play the replay"),
    Binding("left", "seek(-5)", "-5s", key_display="←", tooltip="Replay: back 5 s", group=SEEK),
    Binding("right", "seek(5)", "+5s", key_display="→", tooltip="Replay: ahead 5 s", group=SEEK),
    Binding("plus,equals_sign", "speed(1)", "Faster", key_display="+", tooltip="Replay faster (up to 1000×)", group=SPEED),
    Binding("minus", "speed(-1)", "Slower", key_display="-", tooltip="Replay slower (down to 0.25×)", group=SPEED),
    Binding("n", "next_hold", "Next hold", tooltip="Replay: jump to the next hold"),
    Binding("u", "unit", "Unit", tooltip="Force in N, kg or % of body weight"),
    Binding("b", "toggle_bell", "Bell", tooltip="Terminal bell at the cap: on or off"),
    Binding("c", "calibrate", "Calibrate", tooltip="Calibrate the roller (tare, known weights)"),
]
PLAYBACK_ACTIONS = {"pause", "seek", "speed", "next_hold"}
SESSION_ACTIONS = PLAYBACK_ACTIONS | {"group", "calibrate"}  # change what is recorded: not once it is saved
DASHBOARD_ACTIONS = PLAYBACK_ACTIONS | {"group", "unit", "toggle_bell", "calibrate", "keys"}

"""What the dashboard says in plain words: events for the event log, paths fitted to its lines and
to a toast, the calibration wizard's summary before it saves."""

from __future__ import annotations

from pathlib import PurePath

from rich.cells import cell_len

from smr_sense.core import events as ev
from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.pipeline import CALIBRATION, CALIBRATION_ENDED, CALIBRATION_STARTED
from smr_sense.core.samples import Marker
from smr_sense.core.words import as_sentence, clock
from smr_sense.routine import RoutineTracker, group_by_key
from smr_sense.tui.units import force_text


def _t(t_s: float, origin_s: float | None) -> str:
    """Minutes and seconds into the session: a live roller's stream time is its time since boot."""
    t_s = max(t_s - (t_s if origin_s is None else origin_s), 0.0)
    # Truncated, as a clock counts (59.96 s is still 0:59.9), past float noise: 1012.3 - 1000.0 is
    # 12.299999999999955 s, and a boot-time origin makes such differences common.
    tenths = int(t_s * 10 + 1e-6)
    return f"{clock(tenths // 10):>5}.{tenths % 10}"  # " 0:05.0" lines up with "59:59.9"


def describe_event(
    e: ev.Event, routine: RoutineTracker, origin_s: float | None, unit: str = "N", body_mass_kg: float | None = None
) -> str | None:
    """One log line, its forces in the unit on screen when the event came (older lines keep theirs)."""
    if isinstance(e, ev.HoldStarted):
        # The group the summary files it under: the one in effect when the hold began (it is
        # confirmed later, and the next group may have been chosen in between).
        text = f"Hold on {routine.group_at(e.start_s).label}"
    elif isinstance(e, ev.HoldStartRevised):
        return None  # the hold's timer shows it; a log line would only say the timer jumped
    elif isinstance(e, ev.HoldContinued):
        # Its "Hold ended" line stands above; the timer picks up where the hold really began.
        text = "Same spot: the hold goes on"
    elif isinstance(e, ev.HoldWarning):
        text = f"{e.left()} left in this hold"  # "3.5 s": a cap under 10 s warns half way
    elif isinstance(e, ev.HoldCapReached):
        text = f"CAP {e.cap_s:g} s reached: release"
    elif isinstance(e, ev.HoldEnded):
        over = f", {e.over_cap_s:.1f} s over the cap" if e.capped else ""
        text = f"Hold ended: {e.duration_s:.1f} s at {force_text(e.mean_force_n, unit, body_mass_kg)}{over}"
    elif isinstance(e, ev.RollingStarted):
        text = "Rolling"
    elif isinstance(e, ev.ContactStarted):
        text = "On the roller"
    elif isinstance(e, ev.ContactLost):
        text = "Off the roller"
    elif isinstance(e, ev.CeilingExceeded):
        # The ceiling, not the force: the first sample above it reads about the same, and the two
        # rounded apart said "429 N > 429 N".
        text = f"Above your ceiling of {force_text(e.ceiling_n, unit, body_mass_kg)}: ease off"
    elif isinstance(e, ev.SignalLost):
        text = as_sentence(e.text())  # "signal lost: ..." (a dropped link has no length yet)
    else:
        text = e.kind.replace("_", " ")
    return f"{_t(e.t_s, origin_s)}  {text}"


def recording_line(path: PurePath, width: int) -> str:
    """"Recording to PATH" in ``width`` cells when it can be: the leading folders give way to "…"
    first, and the file's name always stays whole."""
    line = f"Recording to {path}"
    for first in range(1, len(path.parts)):
        if cell_len(line) <= width:
            break
        line = f"Recording to {PurePath('…', *path.parts[first:])}"
    return line


def path_lines(path: PurePath, width: int, indent: str = "  ") -> list[str]:
    """``path`` on lines of at most ``width`` cells, each broken after a folder's "/" and never
    inside a name (one longer than the line keeps a line of its own), the later lines indented."""
    lines = [""]
    parts = path.parts
    for i, part in enumerate(parts):
        piece = part if i == len(parts) - 1 or part.endswith("/") else f"{part}/"
        if lines[-1].strip() and cell_len(lines[-1] + piece) > width:
            lines.append(indent)
        lines[-1] += piece
    return lines


# Textual's toast: 60 cells wide, at most half the screen, less its padding (1 each side) and
# its 1-cell coloured left edge.
def toast_width(screen_width: int) -> int:
    return min(60, screen_width // 2) - 3


def saved_message(paths: list[PurePath], screen_width: int) -> str:
    """"Saved" and each path on its own lines, fitted to a toast on a screen ``screen_width`` wide:
    the toast broke a path wherever its line ended ("profiles/sim-imu-7." / "json")."""
    width = toast_width(screen_width)
    return "\n".join(["Saved", *(line for path in paths for line in path_lines(PurePath(path), width))])


def review_lines(body_mass_kg: float | None, ceiling: tuple[float | None, float | None]) -> list[str]:
    """The calibration wizard's last screen: the body weight and the ceiling (N, % of body weight) to save."""
    n, pct = ceiling
    if pct:
        said = f"Ceiling: {pct:g} % of body weight ({pct / 100 * (body_mass_kg or 0) * G_N_PER_KG:.0f} N)"
    else:
        said = f"Ceiling: {n:g} N" if n else "Ceiling: none"
    return [f"Body weight: {body_mass_kg:g} kg" if body_mass_kg else "Body weight: not given", said]


def group_label(data: dict) -> str:
    """A ``muscle_group`` marker's display label: by key when there is one, so every source reads alike."""
    key = data.get("group")
    return group_by_key(str(key)).label if key else str(data.get("label") or "?")


def describe_marker(m: Marker, origin_s: float | None) -> str | None:
    if m.kind == "muscle_group":
        text = f"Now: {group_label(m.data)}"
    elif m.kind == "seek":
        text = "Jumped here"
    elif m.kind == "disconnected":
        text = "Roller disconnected"
    elif m.kind == "reconnected":
        text = "Roller reconnected"
    elif m.kind == CALIBRATION:
        text = "New calibration in effect"
    elif m.kind == CALIBRATION_STARTED:
        text = "Calibration wizard open: detection paused"
    elif m.kind == CALIBRATION_ENDED:
        text = "Calibration wizard closed"
    elif m.kind == "gap":
        text = "Gap in the samples"
    else:
        text = m.kind.replace("_", " ")
    return f"{_t(m.t_s, origin_s)}  {text}"

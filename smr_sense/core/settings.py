"""What a user can set for a session: the hold cap and its warning, body weight, the pressure
ceiling, and the detector's knobs. A recording notes body weight and ceiling (its header, and a
marker when the calibration wizard changes them), so a replay and ``analyze`` use what the live
session used."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smr_sense.core.calibration import G_N_PER_KG
from smr_sense.core.session import ceiling_newtons

# What a person and a hold can be. A cap shorter than the moment a hold takes to be confirmed would
# ring as it starts; the practice's longest studied holds are 90 s (DOMAIN.md).
HOLD_CAP_RANGE_S = (5.0, 300.0)
BODY_MASS_RANGE_KG = (20.0, 300.0)  # a child on a roller to the heaviest adult: anything else is a typo
CEILING_MAX_PCT_BW = 100.0  # a ceiling above the whole body weight would never sound: a typo too
# ... nor one above the heaviest body weight, whoever rolls (2942 N)
CEILING_MAX_N = float(round(BODY_MASS_RANGE_KG[1] * G_N_PER_KG))
# A ceiling must lie above contact (the detector's default 25 N is someone on the roller): 1e-300 N
# was taken, and then "exceeded" at every touch. In %: the lightest person's 25 N is about 12 %,
# but a heavy one's gentlest work is less, so % is held to newtons only with a body weight.
CEILING_MIN_N = 25.0
CEILING_MIN_PCT_BW = 1.0
DEFAULT_WARNING_S = 5.0  # the warning before the cap, when none is asked for ...


def default_warning_s(hold_cap_s: float) -> float:
    """... or half the cap for caps under 10 s: a warning 5 s before an 8 s cap would ring 3 s into
    the hold, about when it is confirmed."""
    return min(DEFAULT_WARNING_S, hold_cap_s / 2.0)


def ceiling_out_of_range(value: float, pct: bool, body_mass_kg: float | None = None) -> str | None:
    """What is wrong with a ceiling of ``value`` N (or % of body weight when ``pct``), as the end of a
    sentence ("above 100 % of body weight"), or None when it can do its job. Given the body weight,
    a ceiling in N is held to the same share of it as one in %, and one in % to the same newtons."""
    low = f"below {CEILING_MIN_N:g} N, the force that counts as someone on the roller: it would sound at every touch"
    if pct:
        if value > CEILING_MAX_PCT_BW:
            return f"above {CEILING_MAX_PCT_BW:g} % of body weight"
        if value < CEILING_MIN_PCT_BW:
            return f"below {CEILING_MIN_PCT_BW:g} % of body weight: it would sound at every touch"
        if body_mass_kg and value / 100.0 * body_mass_kg * G_N_PER_KG < CEILING_MIN_N:
            return f"{low} (for {body_mass_kg:g} kg)"
        return None
    if value < CEILING_MIN_N:
        return low
    if body_mass_kg:
        most_n = CEILING_MAX_PCT_BW / 100.0 * body_mass_kg * G_N_PER_KG
        if value > most_n:
            return f"above {CEILING_MAX_PCT_BW:g} % of body weight ({most_n:.0f} N for {body_mass_kg:g} kg)"
    if value <= CEILING_MAX_N:
        return None
    return f"above {CEILING_MAX_N:g} N, the weight of a {BODY_MASS_RANGE_KG[1]:g} kg person"


DEFAULT_HOLD_CAP_S = 20.0


@dataclass(frozen=True)
class SessionSettings:
    """What a user or a test can set. Times in seconds of stream time, forces in newtons."""

    hold_cap_s: float = DEFAULT_HOLD_CAP_S
    warning_before_cap_s: float | None = None  # None: ``DEFAULT_WARNING_S``, half the cap under 10 s
    body_mass_kg: float | None = None
    ceiling_n: float | None = None
    ceiling_pct_bw: float | None = None
    # Detector knobs: defaults are tuned on the simulator's physics (bench/bench_accuracy.py).
    contact_on_n: float = 25.0
    contact_off_n: float = 12.0
    confirm_min_s: float = 1.0  # a stroke reversal stops the roller for up to 0.6 s: that is not a hold
    confirm_max_s: float = 3.0  # (the delay adapts to the user's pace in between)
    confirm_force_s: float = 3.0  # force alone cannot see the pace: one fixed delay
    readjust_max_s: float = 0.3  # a re-adjustment (shorter, and travelling less) does not end a hold
    readjust_max_m: float = 0.02  # 1 cm of re-adjustment plus postural sway
    stop_speed_mps: float = 0.006
    move_speed_mps: float = 0.015
    # Force alone: the range of the log force over ``fluct_window_s`` (most of a slow pass). Below
    # ``fluct_stop`` it has stopped changing (sway, creep, dips stay below), above ``fluct_move`` rolling.
    fluct_stop: float = 0.10
    fluct_move: float = 0.15
    fluct_delay_s: float = 2.5  # fallback back-dating when the record shows no motion before a stop
    fluct_window_s: float = 3.0
    burst_pair_s: float = 3.0
    rhythm_factor: float = 1.2
    rhythm_max_s: float = 6.0
    force_change_max: float = 0.14  # force alone: log change within a motion episode that ends a hold
    # Force alone: a hold that starts this soon after the last one ended (its motion in between, as
    # dated, shorter than any stroke) is that hold going on after a re-adjustment.
    rejoin_force_s: float = 0.5
    roller_axis: str | None = None
    autozero: bool = True
    autozero_rate_n_per_s: float = 0.02
    signal_gap_s: float = 0.5  # a stretch without samples longer than this is reported as SignalLost
    # ... and one longer than this ends a hold. A shorter one (a link that reconnects within seconds)
    # does not: a person found still when the samples return keeps the hold and its start, so the
    # cap comes on time; the hold ends only if the returning samples show them moving or off.
    max_gap_s: float = 10.0
    # What the user gave for this run ("body_mass_kg", "ceiling", "hold_cap", "warning"): a replayed or analysed recording's
    # own values (its header, the wizard's changes in its markers) do not override them.
    pinned: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.hold_cap_s > 0:
            raise ValueError("the hold cap must be above zero seconds")
        if self.contact_off_n > self.contact_on_n:
            raise ValueError("contact_off_n must not be above contact_on_n")

    @property
    def warning_s(self) -> float:
        """The warning before the cap: as set, else the default for this cap."""
        if self.warning_before_cap_s is None:
            return default_warning_s(self.hold_cap_s)
        return self.warning_before_cap_s

    @property
    def ceiling_force_n(self) -> float | None:
        return ceiling_newtons(self.ceiling_n, self.ceiling_pct_bw, self.body_mass_kg)

    def timing(self) -> dict[str, float]:
        """The hold cap and its warning as a recording's header notes them, so ``analyze`` and a
        replay time the holds as the session did (``as_recorded`` reads them back)."""
        return {"hold_cap_s": self.hold_cap_s, "warning_s": self.warning_s}

    def recorded(self) -> dict[str, float | None]:
        """Body weight and ceiling (in newtons) as a recording notes them when the wizard changes them."""
        return {"body_mass_kg": self.body_mass_kg, "ceiling_n": self.ceiling_force_n}

    def as_recorded(self, recorded: Mapping[str, Any]) -> SessionSettings:
        """These settings with what a recording noted in effect (``recorded()`` from a marker, or a
        header's extra): a key present sets the value (None: none); an absent key or a pinned
        setting leaves it. So a replay and ``analyze`` follow the session as it ran live."""
        out = self
        cap_s = _positive(recorded.get("hold_cap_s"))
        if cap_s is not None and "hold_cap" not in self.pinned:
            out = out.replace(hold_cap_s=cap_s)
            # The warning goes with the cap it was set for (a cap given now has its own default).
            warning_s = recorded.get("warning_s")
            off = type(warning_s) in (int, float) and warning_s == 0  # --warning 0: none
            usable = off or (_positive(warning_s) is not None and warning_s < cap_s)
            if usable and "warning" not in self.pinned:
                out = out.replace(warning_before_cap_s=float(warning_s))
        if "body_mass_kg" in recorded and "body_mass_kg" not in self.pinned:
            out = out.replace(body_mass_kg=_positive(recorded["body_mass_kg"]))
        if "ceiling_n" in recorded and "ceiling" not in self.pinned:
            ceiling_n = _positive(recorded["ceiling_n"])
            now_n = out.ceiling_force_n
            # The same newtons keep the form they were given in (50 % of body weight stays 50 %).
            if ceiling_n is None or now_n is None or not math.isclose(ceiling_n, now_n, rel_tol=1e-6, abs_tol=0.01):
                out = out.replace(ceiling_n=ceiling_n, ceiling_pct_bw=None)
        return out

    def with_stream_body_mass(self, stream_extra: Mapping[str, Any]) -> SessionSettings:
        """These settings with the body weight a stream itself notes (a simulated person knows theirs)
        when no other is set: the user's, or the recording header's."""
        mass = _positive(stream_extra.get("body_mass_kg"))
        if self.body_mass_kg is not None or mass is None:
            return self
        return self.replace(body_mass_kg=mass)

    def replace(self, **changes: Any) -> SessionSettings:
        return dataclasses.replace(self, **changes)


def _positive(value: Any) -> float | None:
    """A recorded weight or force: a positive number, else none (a damaged or hand-edited file)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None

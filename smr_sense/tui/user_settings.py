"""The user's own numbers: body weight and pressure ceiling, kept beside the device profiles.

A calibration profile belongs to a roller (``smr_sense.profiles``); body weight and ceiling belong to
the person, so they live in one small file of their own: ``<config dir>/user.json``. The wizard
saves it; ``live`` and ``demo`` read it when no option overrides it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

from smr_sense.core.settings import (
    BODY_MASS_RANGE_KG,
    CEILING_MAX_N,
    CEILING_MAX_PCT_BW,
    CEILING_MIN_N,
    CEILING_MIN_PCT_BW,
)
from smr_sense.errors import SmrError
from smr_sense.profiles import config_dir


@dataclass(frozen=True)
class UserSettings:
    body_mass_kg: float | None = None
    ceiling_n: float | None = None
    ceiling_pct_bw: float | None = None
    # The wizard's "no ceiling" (both saved as null), unlike a file that never said: the demo puts a
    # ceiling of its own on screen only when the user has not chosen.
    no_ceiling: bool = False
    # Why the saved file, or a number in it, was not used: said, since a ceiling silently dropped
    # is a safety limit gone. None when it was read whole, or there is none.
    problem: str | None = None


def user_settings_path() -> Path:
    return config_dir() / "user.json"


def load_user_settings() -> UserSettings:
    """The saved settings; a missing file means none. A damaged one, or a number in it out of range,
    is left out (the dashboard still runs) and ``problem`` says so."""
    path = user_settings_path()
    unused = "so the body weight and ceiling saved there are not used; the calibration wizard (c) saves them again"
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        return UserSettings()
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or "it is not JSON"
        return UserSettings(problem=f"{path} cannot be read ({why}), {unused}")
    if not isinstance(obj, dict):
        return UserSettings(problem=f"{path} holds no settings (a JSON object), {unused}")
    bad: list[str] = []

    def num(key: str, low: float = 0.0, high: float = math.inf) -> float | None:
        # Out of range (a hand edit, an older version's wizard): as if not given, as the options refuse it.
        value = obj.get(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and low <= value <= high
        if value is not None and not ok:
            bad.append(f"{key} {json.dumps(value)}")
        return float(value) if ok else None

    settings = UserSettings(
        num("body_mass_kg", *BODY_MASS_RANGE_KG), num("ceiling_n", CEILING_MIN_N, CEILING_MAX_N),
        num("ceiling_pct_bw", CEILING_MIN_PCT_BW, CEILING_MAX_PCT_BW),
        no_ceiling=all(key in obj and obj[key] is None for key in ("ceiling_n", "ceiling_pct_bw")),
    )
    if bad:
        what = " and ".join(bad)
        settings = replace(settings, problem=f"{path} has {what}, out of range or not a number: left out until the "
                           "calibration wizard (c) saves them again")
    return settings


def save_user_settings(settings: UserSettings) -> Path:
    path = user_settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        numbers = {"body_mass_kg": settings.body_mass_kg, "ceiling_n": settings.ceiling_n, "ceiling_pct_bw": settings.ceiling_pct_bw}
        tmp.write_text(json.dumps(numbers, indent=2) + "\n")
        os.replace(tmp, path)
    except OSError as err:
        raise SmrError(f"could not save your body weight and ceiling to {path}: {err.strerror or err}") from None
    return path

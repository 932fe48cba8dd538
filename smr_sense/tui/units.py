"""Force in the unit the user chose: newtons, kilograms (force) or percent of body weight."""

from __future__ import annotations

from smr_sense.core.calibrate import CalibrationFitError
from smr_sense.core.calibration import FORCE_UNITS, force_in
from smr_sense.core.settings import ceiling_out_of_range

UNITS = FORCE_UNITS
UNIT_LABELS = {"N": "N", "kg": "kg", "%BW": "% body weight"}


def shown_unit(unit: str, body_mass_kg: float | None) -> str:
    """The unit a force is shown in: without a body weight, % body weight falls back to newtons."""
    return "N" if unit == "%BW" and not body_mass_kg else unit


def convert(force_n: float, unit: str, body_mass_kg: float | None) -> float:
    """The core's conversion, into the unit ``shown_unit`` says."""
    return float(force_in(force_n, shown_unit(unit, body_mass_kg), body_mass_kg))


def available_units(body_mass_kg: float | None) -> tuple[str, ...]:
    """% body weight only makes sense once the body weight is known."""
    return UNITS if body_mass_kg else UNITS[:2]


def format_force(force_n: float | None, unit: str, body_mass_kg: float | None) -> str:
    """The big readout's text: whole numbers, to read from two metres; '--' without a reading."""
    if force_n is None:
        return "--"
    value = convert(force_n, unit, body_mass_kg)
    text = f"{value:.1f}" if unit == "kg" and abs(value) < 100 else f"{value:.0f}"
    # A zeroed roller reads -0.3 N now and then: "-0" says nothing "0" does not.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def force_text(force_n: float, unit: str, body_mass_kg: float | None) -> str:
    """A force with its unit for a sentence ("306 N", "31.2 kg", "38 %BW")."""
    shown = shown_unit(unit, body_mass_kg)
    return f"{format_force(force_n, shown, body_mass_kg)} {shown}"


def parse_ceiling(text: str, body_mass_kg: float | None = None) -> tuple[float | None, float | None]:
    """'400' or '400 N' -> newtons; '50%' -> percent of body weight; '' -> no ceiling."""
    t = text.strip().lower().replace(" ", "")
    if not t:
        return None, None
    pct = t.endswith("%") or t.endswith("%bw")
    t = t.removesuffix("%bw").removesuffix("%").removesuffix("n")
    try:
        value = float(t)
    except ValueError:
        raise CalibrationFitError(f"'{text}' is not a ceiling such as 400 N or 50%") from None
    if not value > 0:
        raise CalibrationFitError("the ceiling must be above zero")
    if why := ceiling_out_of_range(value, pct, body_mass_kg):  # as --ceiling and --ceiling-pct: it would never sound
        raise CalibrationFitError(f"a ceiling of {value:g} {'%' if pct else 'N'} is {why}")
    return (None, value) if pct else (value, None)

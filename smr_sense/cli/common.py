"""Small helpers shared by the command modules."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys

from smr_sense.core.settings import ceiling_out_of_range, default_warning_s
from smr_sense.errors import UsageError
from smr_sense.sources.pacing import speed_out_of_range


# Ctrl-C, a kill, and a closed terminal or dropped ssh (SIGHUP, where the platform has it): the
# commands that write a file stop on any of them as on Ctrl-C, closing it whole.
STOP_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number")
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def output_file(text: str) -> str:
    """A name to write to. An empty one (``--csv ''``, an unset shell variable) is said as such:
    as a path it is ".", which check_output_path could only call a folder."""
    if not text:
        raise argparse.ArgumentTypeError("the output file name is empty")
    # As a path "x.smr/" is "x.smr": the user meant a folder, not that file ("/" alone is left to
    # check_output_path, which calls it a folder).
    if text.rstrip("/" + os.sep) and text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} ends in '/', so it names a folder; give the name of a file to write")
    return text


def recording_file(text: str) -> str:
    """A name to record to. Recordings are smr-sense's own crash-safe format, whatever the name
    says: one called .csv would open in a spreadsheet as binary noise."""
    output_file(text)
    if text == "-":
        # export --csv - means standard output; a recording named "-" would be a file called "-".
        # Standard output is where progress is said (record) or the screen is (the dashboard).
        raise argparse.ArgumentTypeError("a recording cannot go to standard output: give the name of a file")
    if text.lower().endswith(".csv"):
        stem = text[:-4]
        raise argparse.ArgumentTypeError(
            f"{text} would be a recording (smr-sense's own format), not a CSV; record to {stem}.smr, "
            f"then smr-sense export {stem}.smr --csv {text}"
        )
    return text


def calibration_choice(text: str) -> str:
    """``--calibration``: recorded, profile or a file. An empty value (a script's unset variable)
    was read as 'recorded' without a word."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give recorded, profile or a calibration file, not an empty value")
    return text


def positive_float(text: str) -> float:
    value = finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be above zero")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be zero or more")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be zero or more")
    return value


def speed_factor(text: str) -> float:
    """``--speed``: times real time, within the range replays and the simulator play at, or ``max``
    (as fast as possible), as a source's ``speed=max`` says it (``fast`` too, as ``speed=fast``)."""
    if text.strip().lower() in ("max", "fast"):
        return math.inf
    value = finite_float(text)
    if why := speed_out_of_range(value):  # 0 says "below 0.25 times real time": the real limit
        raise argparse.ArgumentTypeError(f"'{text}' is {why}")
    return value


def speed_option(speed: float) -> str:
    """A ``--speed`` as a source spec's ``speed=`` reads it and the dashboard's header shows it."""
    return "max" if math.isinf(speed) else f"{speed:g}"


def within_range(low: float, high: float, unit: str, what: str):
    """An argparse type: a finite number from ``low`` to ``high``, or one sentence naming the range."""
    def parse(text: str) -> float:
        value = finite_float(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what} between {low:g} and {high:g} {unit}")
        return value

    return parse


def hold_cap_s(text: str) -> float:
    from smr_sense.core.settings import HOLD_CAP_RANGE_S

    return within_range(*HOLD_CAP_RANGE_S, "s", "a hold cap")(text)


def body_mass_kg(text: str) -> float:
    from smr_sense.core.settings import BODY_MASS_RANGE_KG

    return within_range(*BODY_MASS_RANGE_KG, "kg", "a body weight")(text)


def stream_rate_hz(text: str) -> float:
    """``--rate`` of a simulated or emulated roller: a rate a real stream can have."""
    from smr_sense.core.samples import STREAM_RATE_RANGE_HZ

    return within_range(*STREAM_RATE_RANGE_HZ, "Hz", "a sample rate")(text)


def add_hold_cap_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hold-cap", type=hold_cap_s, default=None, metavar="S",
        help="hold cap in seconds, 5-300 (default 20, or the one a recording was made with; "
        "the warning comes 5 s before it, half way for caps under 10 s)",
    )


def hold_cap_of(args: argparse.Namespace) -> float:
    """``--hold-cap`` as given, else the default (None until then: a recording's own cap may apply)."""
    from smr_sense.core.settings import DEFAULT_HOLD_CAP_S

    return DEFAULT_HOLD_CAP_S if args.hold_cap is None else args.hold_cap


def add_session_options(p: argparse.ArgumentParser, *, body_mass_help: str) -> None:
    """Hold cap, body mass and the pressure ceiling: the same parsers for analyze and the dashboards."""
    add_hold_cap_option(p)
    p.add_argument("--body-mass", type=body_mass_kg, metavar="KG", help=body_mass_help + ", 20-300 kg")
    ceiling = p.add_mutually_exclusive_group()
    ceiling.add_argument("--ceiling", type=positive_float, metavar="N", help="pressure ceiling in newtons")
    ceiling.add_argument("--ceiling-pct", type=positive_float, metavar="PCT", help="pressure ceiling in %% of body weight")


def pinned_by(args: argparse.Namespace) -> frozenset[str]:
    """Settings given on this command line: a replayed or analysed recording's own do not override them."""
    pinned = set()
    if args.body_mass is not None:
        pinned.add("body_mass_kg")
    if args.ceiling is not None or args.ceiling_pct is not None:
        pinned.add("ceiling")
    if getattr(args, "hold_cap", None) is not None:
        pinned.add("hold_cap")
    if getattr(args, "warning", None) is not None:
        pinned.add("warning")
    return frozenset(pinned)


def check_session_options(args: argparse.Namespace) -> float:
    """One sentence for what argparse cannot see alone; returns the warning before the cap, in seconds.

    Without ``--warning`` the warning is 5 s, or half the cap for caps under 10 s, so it never
    fires the moment a hold starts."""
    if args.ceiling_pct is not None and (why := ceiling_out_of_range(args.ceiling_pct, pct=True, body_mass_kg=args.body_mass)):
        raise UsageError(f"--ceiling-pct {args.ceiling_pct:g} is {why}")
    if args.ceiling is not None and (why := ceiling_out_of_range(args.ceiling, pct=False, body_mass_kg=args.body_mass)):
        raise UsageError(f"--ceiling {args.ceiling:g} N is {why}")
    warning, cap_s = getattr(args, "warning", None), hold_cap_of(args)
    if warning is None:
        return default_warning_s(cap_s)
    if not warning < cap_s:
        raise UsageError(f"--warning {warning:g} s must be shorter than the {cap_s:g} s hold cap")
    return warning


def warn(message: str) -> None:
    sys.stderr.write(f"smr-sense: warning: {message}\n")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)

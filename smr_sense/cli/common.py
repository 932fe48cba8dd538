"""Small helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys

from smr_sense.errors import UsageError


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be above zero")
    return value


def warn(message: str) -> None:
    sys.stderr.write(f"smr-sense: warning: {message}\n")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UsageError(message)

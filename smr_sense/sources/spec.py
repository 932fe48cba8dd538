"""Parse ``--source`` strings and build the matching source.

Forms: ``sim``, ``sim:?seed=7&build=imu``, ``replay:PATH[?speed=4]``, ``serial:PORT[?baud=..]``,
``ble:NAME_OR_ADDRESS[?profile=..]``. Each scheme's module is imported only when used, so that
``sim`` never loads bleak and ``ble:`` never loads pyserial.
"""

from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass
from urllib.parse import parse_qsl

from smr_sense.sources.base import Source, SourceError
from smr_sense.sources.pacing import speed_out_of_range

# scheme -> "module:factory"; the factory takes a SourceSpec and returns a Source.
SCHEMES: dict[str, str] = {
    "sim": "smr_sense.sources.sim:make_source",
    "replay": "smr_sense.sources.replay:make_source",
    "serial": "smr_sense.sources.serial:make_source",
    "ble": "smr_sense.sources.ble:make_source",
}

EXAMPLES = "sim, sim:?seed=7&build=imu, replay:FILE, serial:PORT or ble:NAME"


@dataclass(frozen=True)
class SourceSpec:
    text: str
    scheme: str
    target: str
    options: dict[str, str]

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def float_option(self, name: str, default: float) -> float:
        value = self.options.get(name)
        if value is None:
            return default
        if value in ("max", "inf", "fast"):
            return float("inf")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isnan(number):
            raise SourceError(f"source option {name}={value!r} is not a number")
        return number

    def positive_option(self, name: str, default: float, meaning: str) -> float:
        """A finite number above zero (a rate, a timeout): ``meaning`` says what it counts."""
        number = self.float_option(name, default)
        if not 0 < number < math.inf:
            raise SourceError(
                f"{self.scheme} source: {name}={self.options.get(name)} is not {meaning} (a number above zero)"
            )
        return number

    def speed_option(self, default: float = 1.0) -> float:
        """``speed``: times real time (see ``speed_out_of_range``), or ``max`` (as fast as possible)."""
        speed = self.float_option("speed", default)
        if speed < math.inf and (why := speed_out_of_range(speed)):
            hint = " (speed=max plays as fast as possible)" if speed > 1 else ""
            raise SourceError(f"{self.scheme} source: speed {speed:g} is {why}{hint}")
        return speed

    def bool_option(self, name: str, default: bool = False) -> bool:
        """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``; anything else is refused
        (``hard=maybe`` must not quietly mean yes)."""
        value = self.options.get(name)
        if value is None:
            return default
        word = value.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise SourceError(f"source option {name}={value!r} is not yes or no (use 1 or 0)")

    def int_option(self, name: str, default: int) -> int:
        value = self.options.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise SourceError(f"source option {name}={value!r} is not a whole number") from None

    def columns_option(self) -> tuple[str, ...] | None:
        """``columns=t_ms,left,right``: names for a text sketch's columns, for one that prints no header
        (or printed it only at boot, before the port was opened)."""
        value = self.options.get("columns")
        if value is None:
            return None
        from smr_sense.core.wire.text_columns import columns_problem

        names = tuple(n.strip() for n in value.split(","))
        why = columns_problem(names)
        if why:
            raise SourceError(f"{self.scheme} source: columns={value} {why}")
        return names

    def check_options(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.options) - allowed)
        if unknown:
            raise SourceError(
                f"source '{self.text}' has unknown option {unknown[0]!r}; "
                f"{self.scheme} takes {', '.join(sorted(allowed)) or 'no options'}"
            )


def parse_source_spec(text: str) -> SourceSpec:
    """Split ``scheme:target?key=value&...`` into its parts; refuse unknown schemes in one sentence."""
    text = text.strip()
    scheme, sep, rest = text.partition(":")
    if not sep:
        scheme, rest = text, ""
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise SourceError(f"unknown source '{text}': use {EXAMPLES}")
    # Options follow the last '?', so a file name may have its own; a file that exists under the
    # whole text (``replay:what?.smr``) is that file.
    target, _, query = rest.rpartition("?") if "?" in rest else (rest, "", "")
    if scheme == "replay" and query and os.path.isfile(rest):
        target, query = rest, ""
    # A '+' is itself here, not a space as in a web form: "rate=1e+06" must stay a number.
    query = query.replace("+", "%2B")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise SourceError(f"source options '{query}' are not in the form key=value&key=value") from None
    return SourceSpec(text=text, scheme=scheme, target=target, options=dict(pairs))


def make_source(text: str) -> Source:
    """Build the source a ``--source`` string names (not opened yet)."""
    spec = parse_source_spec(text)
    module_name, _, factory_name = SCHEMES[spec.scheme].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("smr_sense"):
            raise SourceError(f"the {spec.scheme} source is not available in this version of smr-sense") from None
        raise SourceError(f"the {spec.scheme} source needs the Python package '{err.name}', which is not installed") from None
    factory = getattr(module, factory_name)
    return factory(spec)

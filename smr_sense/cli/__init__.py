"""The ``smr-sense`` command line.

Each command lives in its own module under ``smr_sense.cli`` with ``register(subparsers)`` and
``run(args) -> int``. ``main`` turns every :class:`SmrError` into one sentence on stderr and a
non-zero exit; a traceback reaching the user is a bug.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys

from smr_sense import __version__
from smr_sense.errors import SmrError

# Order is the order ``smr-sense --help`` lists them in.
COMMANDS = [
    "demo",
    "live",
    "replay",
    "record",
    "sim",
    "analyze",
    "calibrate",
    "export",
    "scan",
    "emulate",
]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one sentence, not a usage dump, and it names the mistake
    the user made: a mistyped option before the required one it hid, a close option's name."""

    _argv: list[str] = []

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def unknown_options(self, tokens: list[str]) -> list[str]:
        """``tokens`` that look like options this command does not have, each with a suggestion."""
        out = []
        for token in tokens:
            name = token.split("=", 1)[0]
            if name.startswith("--") and name not in self._option_string_actions:
                close = difflib.get_close_matches(name, [o for o in self._option_string_actions if o.startswith("--")], 1)
                out.append(f"{name} (did you mean {close[0]}?)" if close else name)
        return out

    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("the following arguments are required"):
            # argparse checks required options before unknown ones: --outt hides behind "--out is required".
            unknown = self.unknown_options(self._argv)
            if unknown:
                message = f"unknown option {', '.join(unknown)}"
        elif message.endswith("expected one argument"):
            option = message.removeprefix("argument ").split(":", 1)[0].split("/")[-1]
            after = self._argv[self._argv.index(option) + 1 :] if option in self._argv else []
            if after and after[0].startswith("-") and after[0] not in self._option_string_actions:
                message = f"argument {option}: to give a value that starts with '-', write {option}={after[0]}"
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smr-sense",
        description="Measure self-myofascial release on an instrumented foam roller.",
    )
    parser.add_argument("--version", action="version", version=f"smr-sense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"smr_sense.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"smr_sense.cli.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    parser.set_defaults(_commands=sub.choices)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Said by the command's own parser, so the hint points to the help that lists its options.
        parser = args._commands.get(args.command, parser)
        unknown = parser.unknown_options(extra) if isinstance(parser, _Parser) else []
        parser.error(f"unknown option {', '.join(unknown)}" if unknown else f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except SmrError as err:
        sys.stderr.write(f"smr-sense: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("smr-sense: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as err:  # a bug: still one sentence for the user, the details in a file
        return _internal_error(err)


def _internal_error(err: Exception) -> int:
    import os
    import tempfile
    import traceback

    if os.environ.get("SMR_SENSE_DEBUG"):
        raise err
    fd, path = tempfile.mkstemp(prefix="smr-sense-crash-", suffix=".txt")
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(traceback.format_exception(err)))
    sys.stderr.write(
        f"smr-sense: internal error ({type(err).__name__}: {err}); details saved to {path}, please report it\n"
    )
    return 70

"""The ``kmipd`` command: a thin layer of subcommands over the library calls.

Each subcommand lives in its own module under :mod:`kmipd.commands` and
exposes ``add_parser(subparsers)``, which registers its arguments and sets
``func`` to a function taking the parsed arguments (it may return an exit
status: ``kmipd run`` returns :data:`EXIT_PARTIAL` when some figures could not
be read). Bad input is reported here, on one line, with exit status 2 and no
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kmipd import __version__, outputs
from kmipd.errors import InputError

#: Subcommand modules under kmipd.commands, in the order ``--help`` lists them.
COMMANDS: list[str] = ["digitize", "extract", "reconstruct", "meta", "run"]

EXIT_BAD_INPUT = 2
#: Some inputs could not be used, the results of the others were written (``kmipd run``).
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit status 2."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        raise InputError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = _OneLineParser(
        prog="kmipd",
        description="Kaplan-Meier figures -> individual patient data -> pooled results.",
    )
    parser.add_argument("--version", action="version", version=f"kmipd {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    subparsers.required = True
    for name in COMMANDS:
        importlib.import_module(f"kmipd.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the kmipd command line; return the exit status."""
    outputs.forget_written()
    try:
        args = build_parser().parse_args(argv)
        status = args.func(args)
    except InputError as error:
        # One line whatever the input held (an arm name may carry a newline).
        print(f"kmipd: error: {' '.join(str(error).splitlines())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"kmipd: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as error:
        # A library that wraps the KeyboardInterrupt it was stopped by (the OCR engine's config
        # loader does) raises its own error; Ctrl-C is still what happened.
        if _caused_by_interrupt(error):
            return _interrupted()
        raise
    return status or 0


def _interrupted() -> int:
    done = outputs.written()
    said = f"after writing {', '.join(map(str, done))} whole" if done else "no output written"
    print(f"kmipd: interrupted; {said}", file=sys.stderr)
    return EXIT_INTERRUPTED


def _caused_by_interrupt(error: BaseException | None) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

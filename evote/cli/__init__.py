"""The ``evote`` command: demo, officers' and trustees' ceremony, verification, service.

Every command turns bad input into one line on standard error that says what is wrong and
what to do, and a non-zero exit status (2 for bad input or a step run out of order, 1 for a
check that fails); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from evote import __version__
from evote.cli import credentials, db, demo, election, results, serve, tally, trustee, verify
from evote.errors import EvoteError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse exits with status 2 on a usage error, which is evote's status for bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"evote: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="evote", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument(
        "--version", action="version", version=f"evote {__version__}",
        help="print evote's version and exit",
    )  # fmt: skip
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    demo.register(commands)
    verify.register(commands)
    election.register(commands)
    trustee.register(commands)
    credentials.register(commands)
    election.register_cast(commands)
    tally.register(commands)
    results.register(commands)
    db.register(commands)
    serve.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("evote: interrupted", file=sys.stderr)
        return 130
    except EvoteError as error:
        if args.debug:
            raise
        print(f"evote: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        if args.debug:
            raise
        print(f"evote: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return EXIT_BAD_INPUT


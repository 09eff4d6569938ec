"""`rtspike` command line. Each subcommand lives in rtspike/commands/<name>.py and exposes
``register(subparsers)``; adding one is one module and one line below."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rtspike import __version__
from rtspike.console import errors
from rtspike.errors import UsageError
from rtspike.preflight import PreflightError
from rtspike.scenarios.processes import interrupt_on_sigterm
from rtspike.transports.core.settings import SettingsError

COMMANDS = [
    "rtspike.commands.serve",
    "rtspike.commands.users",
    "rtspike.commands.bench",
    "rtspike.commands.report",
    "rtspike.commands.loadtest",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtspike",
        description="Measure Socket.IO, SSE and WebSocket over one messaging core.",
    )
    parser.add_argument("--version", action="version", version=f"rtspike {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with interrupt_on_sigterm():  # SIGTERM unwinds like Ctrl-C: children stop, temp goes
            code: int = args.handler(args)
    except SettingsError as exc:
        errors.print(f"rtspike: {exc}", markup=False)
        errors.print("Fix the RTSPIKE_* environment variable(s) above and run again.")
        return 2
    except (PreflightError, UsageError) as exc:
        if args.debug:
            raise
        errors.print(f"rtspike: {exc}", markup=False, highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        errors.print(
            f"rtspike: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
            "(run again with --debug for the traceback)",
            markup=False,
            highlight=False,
        )
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())

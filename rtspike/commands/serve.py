"""`rtspike serve`: the REST API plus the chosen transports on one port."""

from __future__ import annotations

import argparse

from rtspike.console import console
from rtspike.transports import registry
from rtspike.transports.core.logging import configure_logging
from rtspike.transports.core.settings import load_settings
from rtspike.transports.server.app import serve


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the API and realtime transports")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000)")
    p.add_argument(
        "--transport",
        default="all",
        choices=[*registry.names(), "all"],
        help="which transport(s) to serve beside the REST API (default all)",
    )
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    overrides: dict[str, object] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    settings = load_settings(**overrides)
    names = registry.names() if args.transport == "all" else [args.transport]
    console.print(
        f"rtspike: serving {', '.join(names)} + REST on http://{settings.host}:{settings.port}"
        f" (data in {settings.data_dir.resolve()}); Ctrl-C stops",
        markup=False,
    )
    serve(settings, names, settings.host, settings.port)
    return 0

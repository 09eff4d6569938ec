"""`rtspike serve`: the REST API plus the chosen transports on one port."""

from __future__ import annotations

import argparse

from pydantic import SecretStr

from rtspike import preflight
from rtspike.commands.options import port_number
from rtspike.console import console, errors
from rtspike.transports import registry
from rtspike.transports.core.logging import configure_logging
from rtspike.transports.core.settings import load_settings
from rtspike.transports.server.app import serve
from rtspike.transports.server.faults import TOKEN_HEADER, dev_token


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the API and realtime transports")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=None, help="port (default 8000)")
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
    preflight.check_port(settings.host, settings.port)
    for url in {settings.resolved_store_url, settings.resolved_log_url, settings.bus_url}:
        if url.startswith(("redis://", "rediss://")):
            preflight.check_redis(url, "RTSPIKE_STORE_URL / RTSPIKE_LOG_URL / RTSPIKE_BUS_URL")
    names = registry.names() if args.transport == "all" else [args.transport]
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"rtspike: serving {', '.join(names)} + REST on {base}"
        f" (data in {settings.data_dir.resolve()}); Ctrl-C stops",
        markup=False,
        highlight=False,
    )
    console.print(f"rtspike: demo page at {base}/demo?transport={names[0]}", markup=False)
    if settings.dev_faults:
        token = dev_token(settings)
        settings = settings.model_copy(update={"dev_faults_token": SecretStr(token)})
        errors.print(
            "rtspike: warning: RTSPIKE_DEV_FAULTS is on: whoever holds the dev token can switch "
            "the realtime routes off; never enable it outside a demo. Fault changes need the "
            f"header {TOKEN_HEADER}: {token} (demo switch: "
            f"{base}/demo?transport={names[0]}&dev_token={token})",
            markup=False,
            highlight=False,
        )
    serve(settings, names, settings.host, settings.port)
    return 0

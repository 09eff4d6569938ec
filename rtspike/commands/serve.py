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
from rtspike.workers import check_workers, run_pool


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
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on the one port (SO_REUSEPORT); more than 1 needs the store, "
        "log and bus on Redis (default 1, embedded SQLite)",
    )
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--pool-member", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def _pool_argv(args: argparse.Namespace, host: str, port: int) -> list[str]:
    argv = ["serve", "--host", host, "--port", str(port), "--transport", args.transport]
    return [*argv, "--log-level", args.log_level]


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    overrides: dict[str, object] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    settings = load_settings(**overrides)
    check_workers(settings, args.workers)
    if args.pool_member:
        serve(settings, _names(args), settings.host, settings.port, reuse_port=True)
        return 0
    preflight.check_port(settings.host, settings.port)
    for url in {settings.resolved_store_url, settings.resolved_log_url, settings.bus_url}:
        if url.startswith(("redis://", "rediss://")):
            preflight.check_redis(url, "RTSPIKE_STORE_URL / RTSPIKE_LOG_URL / RTSPIKE_BUS_URL")
    names = _names(args)
    base = f"http://{settings.host}:{settings.port}"
    where = (
        f"{args.workers} workers sharing Redis"
        if args.workers > 1
        else f"data in {settings.data_dir.resolve()}"
    )
    console.print(
        f"rtspike: serving {', '.join(names)} + REST on {base} ({where}); Ctrl-C stops",
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
    if args.workers > 1:
        secret = settings.dev_faults_token
        env = {"RTSPIKE_DEV_FAULTS_TOKEN": secret.get_secret_value()} if secret else {}
        return run_pool(_pool_argv(args, settings.host, settings.port), args.workers, env)
    serve(settings, names, settings.host, settings.port)
    return 0


def _names(args: argparse.Namespace) -> list[str]:
    return registry.names() if args.transport == "all" else [args.transport]

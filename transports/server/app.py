"""One aiohttp application: the REST API plus whichever transports are asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiohttp import web

from rtspike.transports import registry
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.runtime import build_hub
from rtspike.transports.core.settings import Settings
from rtspike.transports.server import demo, faults, tuning
from rtspike.transports.server.api import add_routes
from rtspike.transports.server.http import HUB_KEY, error_middleware

__all__ = ["build_app", "serve"]

log = get_logger("rtspike.app")


def build_app(
    settings: Settings,
    transports: Iterable[str] | None = None,
    hub: Hub | None = None,
) -> web.Application:
    """The hub starts with the app and stops (closing live connections with SERVER_RESTART)
    with it. ``transports`` defaults to every transport in the registry."""
    hub = hub or build_hub(settings)
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=settings.max_message_bytes + 4096,
        # aiohttp cuts a connection that has not completed a request within its keep-alive
        # timeout, counted from accept: the only bound on sockets that trickle headers or stay
        # silent. The default (75 s, or an hour on some versions) holds them far too long.
        handler_args={"keepalive_timeout": settings.header_timeout_s},
    )
    app[HUB_KEY] = hub
    add_routes(app)
    demo.mount_demo(app)
    if settings.dev_faults:
        faults.install(app, settings)
    chosen = list(dict.fromkeys(registry.names() if transports is None else transports))
    for name in chosen:
        registry.server(name)(app, hub)

    async def start(_: web.Application) -> None:
        await hub.start()
        log.info("server.start", node=settings.node_id, transports=chosen, epoch=hub.epoch)

    async def stop(_: web.Application) -> None:
        await hub.stop()
        log.info("server.stop", node=settings.node_id)

    app.on_startup.append(start)
    app.on_shutdown.append(stop)
    return app


def serve(
    settings: Settings, transports: Iterable[str], host: str, port: int, reuse_port: bool = False
) -> None:
    """``reuse_port``: one of several worker processes listening on the same port."""
    app = build_app(settings, transports)
    if settings.tune_process:
        tuning.tune(app)
    web.run_app(
        app,
        host=host,
        port=port,
        print=None,
        access_log=None,
        shutdown_timeout=5.0,
        handle_signals=True,
        reuse_port=reuse_port or None,
        loop=asyncio.new_event_loop(),
    )

"""The only list of transports. Adding a fourth = one folder + one line here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from rtspike.transports.clients.base import RealtimeClient
    from rtspike.transports.core.hub import Hub

TRANSPORTS: dict[str, str] = {
    "socketio": "rtspike.transports.socketio",
    "sse": "rtspike.transports.sse",
    "ws": "rtspike.transports.ws",
}


class ServerModule(Protocol):
    def mount(self, app: web.Application, hub: Hub) -> None: ...


def names() -> list[str]:
    return list(TRANSPORTS)


def _package(name: str) -> str:
    if name not in TRANSPORTS:
        raise KeyError(f"unknown transport {name!r}; choose from {', '.join(TRANSPORTS)}")
    return TRANSPORTS[name]


def server(name: str) -> ServerModule:
    module: ServerModule = importlib.import_module(f"{_package(name)}.server")
    return module


def client(name: str) -> type[RealtimeClient]:
    module = importlib.import_module(f"{_package(name)}.client")
    cls: type[RealtimeClient] = module.Client
    return cls

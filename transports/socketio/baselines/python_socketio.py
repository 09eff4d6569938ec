"""Baseline: stock python-socketio, ``enter_room`` on connect, ``emit(to=room)`` to broadcast.

Run: ``python -m rtspike.transports.socketio.baselines.python_socketio stock <port>``.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web

from rtspike.scenarios.peers.aiohttp_app import App, main, with_control


def stock() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"])

    @sio.event
    async def connect(sid: str, _environ: dict[str, Any], auth: dict[str, Any]) -> None:
        await sio.enter_room(sid, str(auth["token"]))

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        await sio.emit("message:new", message, to=room)

    app = web.Application()
    sio.attach(app)
    return with_control(app, broadcast)


KINDS: dict[str, App] = {"stock": stock}

if __name__ == "__main__":
    main(KINDS)

"""The aiohttp parts every Python baseline server shares: the room table, the control socket,
the health route and the process entry point. A baseline (in its transport's ``baselines/``)
adds its receivers' route and its broadcast loop, the obvious one for its library, with no
auth, no log and no bounds.

A broadcast is triggered over one control WebSocket (``/peer/control``: ``{"room", "message"}``
-> ``"ok"`` once fanned out), or, for a transport whose sends go up over REST, by its REST twin
(``POST /peer/broadcast``), so the trigger costs a baseline what it costs rtspike's transport. A
receiver's token names its room.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from rtspike.scenarios.peers.wire import BROADCAST_PATH, CONTROL_PATH, HEALTH_PATH

Broadcast = Callable[[str, dict[str, Any]], Awaitable[None]]
App = Callable[[], web.Application]


@dataclass(eq=False)
class Member:
    """One receiver: its response object, its socket, and the last event id sent (for wires
    that number their events)."""

    response: web.StreamResponse
    transport: asyncio.Transport | None
    sent: int = 0


Rooms = dict[str, set[Member]]


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def _control(broadcast: Broadcast) -> Callable[[web.Request], Awaitable[web.WebSocketResponse]]:
    async def handle(request: web.Request) -> web.WebSocketResponse:
        control = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await control.prepare(request)
        async for msg in control:
            if msg.type is not WSMsgType.TEXT:
                break
            order = json.loads(msg.data)
            await broadcast(order["room"], order["message"])
            await control.send_str("ok")
        return control

    return handle


def _rest(broadcast: Broadcast) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        order = json.loads(await request.read())
        await broadcast(order["room"], order["message"])
        return web.Response(text="ok")

    return handle


def with_control(app: web.Application, broadcast: Broadcast) -> web.Application:
    """``app`` plus the control socket and its REST twin, both driving ``broadcast``."""
    app.router.add_get(CONTROL_PATH, _control(broadcast))
    app.router.add_post(BROADCAST_PATH, _rest(broadcast))
    return app


def main(kinds: dict[str, App]) -> None:
    """``python -m <baseline module> <kind> <port>``: serve ``kinds[kind]`` on loopback."""
    kind, port = sys.argv[1], int(sys.argv[2])
    app = kinds[kind]()
    app.router.add_get(HEALTH_PATH, _health)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
        handler_cancellation=True,
    )

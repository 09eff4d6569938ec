"""Bare-library baseline servers on aiohttp and stock python-socketio: what a team gets by
writing the obvious loop itself, with no auth, no log and no bounds.

Each speaks just enough of rtspike's wire (DESIGN.md section 3) for the same lean receivers to
count its deliveries: the receiver's token names its room. A broadcast is triggered over one
control WebSocket (``/peer/control``: ``{"room", "message"}`` -> ``"ok"`` once fanned out),
the same way for every baseline, so the trigger's cost is the same everywhere.

Run: ``python -m rtspike.scenarios.peers.aiohttp_peers <kind> <port>``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import WSMsgType, web

from rtspike.scenarios.peers.wire import (
    CONTROL_PATH,
    HEALTH_PATH,
    SSE_PATH,
    WS_PATH,
    sse_event,
    text_frame,
    ws_message,
)

Broadcast = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class Member:
    """One receiver: its response object, its socket, and (SSE) the last event id sent."""

    response: web.StreamResponse
    transport: asyncio.Transport | None
    sent: int = 0


Rooms = dict[str, set[Member]]


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def _control(broadcast: Broadcast) -> Callable[[web.Request], Awaitable[web.WebSocketResponse]]:
    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            order = json.loads(msg.data)
            await broadcast(order["room"], order["message"])
            await ws.send_str("ok")
        return ws

    return handle


def _ws_app(rooms: Rooms, broadcast: Broadcast) -> web.Application:
    async def receiver(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        auth = json.loads((await ws.receive()).data)
        room = rooms.setdefault(str(auth["token"]), set())
        await ws.send_str('{"type":"ready"}')
        member = Member(ws, request.transport)
        room.add(member)
        try:
            async for _ in ws:
                pass
        finally:
            room.discard(member)
        return ws

    app = web.Application()
    app.router.add_get(WS_PATH, receiver)
    app.router.add_get(CONTROL_PATH, _control(broadcast))
    return app


def ws_send_str() -> web.Application:
    """``await ws.send_str(text)`` per connection: the loop every aiohttp tutorial shows."""
    rooms: Rooms = {}

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        text = ws_message(message)
        for member in list(rooms.get(room, ())):
            try:
                await member.response.send_str(text)  # type: ignore[attr-defined]
            except ConnectionError:
                pass

    return _ws_app(rooms, broadcast)


def ws_raw() -> web.Application:
    """The frame built once and written to each socket's transport: the floor for aiohttp."""
    rooms: Rooms = {}

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        frame = text_frame(ws_message(message).encode())
        for member in list(rooms.get(room, ())):
            if member.transport is not None and not member.transport.is_closing():
                member.transport.write(frame)

    return _ws_app(rooms, broadcast)


def sse_write() -> web.Application:
    """``await response.write(chunk)`` per stream: aiohttp's own SSE recipe."""
    rooms: Rooms = {}

    async def stream(request: web.Request) -> web.StreamResponse:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"retry: 2000\n\n")
        member = Member(resp, request.transport)
        room = rooms.setdefault(token, set())
        room.add(member)
        try:
            await asyncio.Event().wait()  # until the peer goes (handler_cancellation)
        finally:
            room.discard(member)
        return resp

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        for member in list(rooms.get(room, ())):
            member.sent += 1
            try:
                await member.response.write(sse_event(member.sent, data))
            except ConnectionError:
                pass

    app = web.Application()
    app.router.add_get(SSE_PATH, stream)
    app.router.add_get(CONTROL_PATH, _control(broadcast))
    return app


def socketio_stock() -> web.Application:
    """Stock python-socketio: ``enter_room`` on connect, ``emit(to=room)`` to broadcast."""
    sio = socketio.AsyncServer(async_mode="aiohttp", transports=["websocket"])

    @sio.event
    async def connect(sid: str, _environ: dict[str, Any], auth: dict[str, Any]) -> None:
        await sio.enter_room(sid, str(auth["token"]))

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        await sio.emit("message:new", message, to=room)

    app = web.Application()
    sio.attach(app)
    app.router.add_get(CONTROL_PATH, _control(broadcast))
    return app


KINDS: dict[str, Callable[[], web.Application]] = {
    "ws-send-str": ws_send_str,
    "ws-raw": ws_raw,
    "sse-write": sse_write,
    "socketio-stock": socketio_stock,
}


def main(kind: str, port: int) -> None:
    app = KINDS[kind]()
    app.router.add_get(HEALTH_PATH, _health)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        print=None,
        access_log=None,
        handler_cancellation=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

"""Baselines on aiohttp's ``WebSocketResponse``: the tutorial's ``send_str`` loop and the floor
(the frame built once, written to each socket's transport).

Run: ``python -m rtspike.transports.ws.baselines.aiohttp_loops {send-str|raw} <port>``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from rtspike.scenarios.peers.aiohttp_app import App, Broadcast, Member, Rooms, main, with_control
from rtspike.transports.server.framing import ws_frame
from rtspike.transports.ws.baselines import PATH, READY, message_text


def _app(rooms: Rooms, broadcast: Broadcast) -> web.Application:
    async def receiver(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse(compress=False)
        await sock.prepare(request)
        auth = json.loads((await sock.receive()).data)
        room = rooms.setdefault(str(auth["token"]), set())
        await sock.send_str(READY)
        member = Member(sock, request.transport)
        room.add(member)
        try:
            async for _ in sock:
                pass
        finally:
            room.discard(member)
        return sock

    app = web.Application()
    app.router.add_get(PATH, receiver)
    return with_control(app, broadcast)


def send_str() -> web.Application:
    """``await ws.send_str(text)`` per connection: the loop every aiohttp tutorial shows."""
    rooms: Rooms = {}

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        text = message_text(message)
        for member in list(rooms.get(room, ())):
            try:
                await member.response.send_str(text)  # type: ignore[attr-defined]
            except ConnectionError:
                pass

    return _app(rooms, broadcast)


def raw() -> web.Application:
    """The frame built once (by the server's own builder, so the bytes are identical; no
    compression is negotiated) and written to each socket's transport: the floor for aiohttp."""
    rooms: Rooms = {}

    async def broadcast(room: str, message: dict[str, Any]) -> None:
        frame = ws_frame(message_text(message).encode())
        for member in list(rooms.get(room, ())):
            if member.transport is not None and not member.transport.is_closing():
                member.transport.write(frame)

    return _app(rooms, broadcast)


KINDS: dict[str, App] = {"send-str": send_str, "raw": raw}

if __name__ == "__main__":
    main(KINDS)

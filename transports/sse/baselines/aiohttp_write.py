"""Baseline: ``await response.write(chunk)`` per stream, aiohttp's own SSE recipe. It speaks the
slice of rtspike's SSE wire (DESIGN.md section 3) the lean receiver needs: ``Authorization:
Bearer <token>`` names the room, events are ``id`` / ``event: message`` / ``data``.

Run: ``python -m rtspike.transports.sse.baselines.aiohttp_write write <port>``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rtspike.scenarios.peers.aiohttp_app import App, Member, Rooms, main, with_control
from rtspike.scenarios.peers.wire import compact
from rtspike.transports.sse import SPEC


def event(event_id: int, data: bytes) -> bytes:
    return b"id: %d\nevent: message\ndata: %b\n\n" % (event_id, data)


def write_loop() -> web.Application:
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
        data = compact(message).encode()
        for member in list(rooms.get(room, ())):
            member.sent += 1
            try:
                await member.response.write(event(member.sent, data))
            except ConnectionError:
                pass

    app = web.Application()
    app.router.add_get(SPEC.paths[0], stream)
    return with_control(app, broadcast)


KINDS: dict[str, App] = {"write": write_loop}

if __name__ == "__main__":
    main(KINDS)

"""Baseline: the ``websockets`` library's own server and ``broadcast`` (frames written
without awaiting, which is how its docs say to fan out). Same wire as ``aiohttp_loops``.

Run: ``python -m rtspike.transports.ws.baselines.websockets_broadcast <port>``.
"""

from __future__ import annotations

import asyncio
import http
import json
import sys

from websockets.asyncio.server import Request, Response, ServerConnection, broadcast, serve

from rtspike.scenarios.peers.wire import CONTROL_PATH, HEALTH_PATH
from rtspike.transports.ws.baselines import READY, message_text

rooms: dict[str, set[ServerConnection]] = {}


def _health(conn: ServerConnection, request: Request) -> Response | None:
    if request.path == HEALTH_PATH:
        return conn.respond(http.HTTPStatus.OK, "ok\n")
    return None


async def _control(conn: ServerConnection) -> None:
    async for raw in conn:
        order = json.loads(raw)
        broadcast(rooms.get(order["room"], set()), message_text(order["message"]))
        await conn.send("ok")


async def _receiver(conn: ServerConnection) -> None:
    auth = json.loads(await conn.recv())
    room = rooms.setdefault(str(auth["token"]), set())
    await conn.send(READY)
    room.add(conn)
    try:
        await conn.wait_closed()
    finally:
        room.discard(conn)


async def _handler(conn: ServerConnection) -> None:
    if conn.request is not None and conn.request.path == CONTROL_PATH:
        await _control(conn)
    else:
        await _receiver(conn)


async def main(port: int) -> None:
    async with serve(
        _handler,
        "127.0.0.1",
        port,
        process_request=_health,
        compression=None,
        ping_interval=None,
        max_queue=None,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

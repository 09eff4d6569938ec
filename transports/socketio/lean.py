"""Lean Socket.IO receiver for load: Engine.IO v4 / Socket.IO v5 spoken over a plain aiohttp
WebSocket (the ``transports=["websocket"]`` path the registry client also takes); 300
python-socketio AsyncClients in one process saturate it."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from rtspike.transports.clients.lean import LeanSocket, RefusedError, now_ns

__all__ = ["LeanSocketIO"]


class LeanSocketIO(LeanSocket):
    path = "/socket.io/?EIO=4&transport=websocket"

    async def connect(self, token: str) -> None:
        sock = await self.session.ws_connect(self.url, compress=0, autoping=True, heartbeat=None)
        try:
            opened = await sock.receive(timeout=15)
            if opened.type != aiohttp.WSMsgType.TEXT or not str(opened.data).startswith("0"):
                raise RefusedError(f"no Engine.IO open packet: {opened.type}")
            await sock.send_str("40" + json.dumps({"token": token}))
            while True:
                msg = await sock.receive(timeout=15)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise RefusedError(f"closed during connect: {msg.type}")
                data = str(msg.data)
                if data == "2":
                    await sock.send_str("3")
                elif data.startswith("40"):
                    break
                elif data.startswith("44"):
                    raise RefusedError(data[2:200])
        except BaseException:
            await sock.close()
            raise
        self._ws = sock
        self._task = asyncio.get_running_loop().create_task(self._read(sock))

    async def _read(self, sock: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in sock:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            t = now_ns()
            data = str(msg.data)
            if data.startswith("42"):
                name, *args = json.loads(data[2:])
                if name == "message:new" and args:
                    self.on_event(args[0], t)
                elif name == "error" and args and isinstance(args[0], dict):
                    self.close_code = int(args[0].get("close_code") or 0) or None
            elif data == "2":
                await sock.send_str("3")
            elif data.startswith("41") or data == "1":
                break
        self.closed.set()

"""Lean raw-WebSocket receiver for load: auth frame, then JSON frames, on a shared session."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from rtspike.transports.clients.lean import LeanSocket, RefusedError, now_ns

__all__ = ["LeanWs"]


class LeanWs(LeanSocket):
    path = "/realtime/ws"

    async def connect(self, token: str) -> None:
        ws = await self.session.ws_connect(self.url, compress=0, autoping=True, heartbeat=None)
        await ws.send_str(json.dumps({"type": "auth", "token": token}))
        msg = await ws.receive(timeout=15)
        reply = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {}
        if reply.get("type") != "ready":
            await ws.close()
            raise RefusedError(str(reply.get("error") or msg.type))
        self._ws = ws
        self._task = asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            t = now_ns()
            frame = json.loads(msg.data)
            if frame.get("type") == "message":
                self.on_event(frame["message"], t)
        self.close_code = ws.close_code
        self.closed.set()

"""Lean SSE receiver for load: one streamed GET with ``Authorization: Bearer`` and a minimal
``text/event-stream`` parser, on a shared session."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from rtspike.transports.clients.lean import EventHandler, RefusedError, now_ns

__all__ = ["LeanSse"]


class LeanSse:
    def __init__(self, base_url: str, session: aiohttp.ClientSession, on_event: EventHandler):
        self.url = base_url + "/realtime/sse"
        self.session = session
        self.on_event = on_event
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._resp: aiohttp.ClientResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self, token: str) -> None:
        resp = await self.session.get(
            self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=15),
        )
        if resp.status != 200:
            body = await resp.text()
            resp.release()
            raise RefusedError(f"{resp.status}: {body[:200]}")
        await resp.content.readline()
        self._resp = resp
        self._task = asyncio.get_running_loop().create_task(self._read(resp))

    async def _read(self, resp: aiohttp.ClientResponse) -> None:
        event, data = "message", ""
        try:
            async for raw in resp.content:
                line = raw.rstrip(b"\r\n")
                if not line:
                    if data and event == "message":
                        self.on_event(json.loads(data), now_ns())
                    elif data and event == "error":
                        self.close_code = int(json.loads(data).get("close_code") or 0)
                    event, data = "message", ""
                elif line.startswith(b"data:"):
                    data += line[5:].strip().decode()
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
        except (TimeoutError, aiohttp.ClientError):
            pass
        self.closed.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._resp is not None:
            self._resp.close()
        self.closed.set()

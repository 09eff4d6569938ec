"""The shared part of the lean receivers: light protocol clients the load generator runs by the
thousand on one shared aiohttp session, where a full client library would be the bottleneck.

Each transport's own lean receiver (``transports/<name>/lean.py``, named by its spec) builds on
this. Every receiver calls ``on_event(fields, recv_ns)`` with the message's fields and the
receive instant on the monotonic clock (the one ``scenarios.measure.now_ns`` reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from rtspike.transports.core.errors import RtspikeError

__all__ = ["EventHandler", "LeanSocket", "RefusedError", "now_ns"]

EventHandler = Callable[[dict[str, Any], int], None]
now_ns = time.monotonic_ns


class RefusedError(RtspikeError):
    """The server refused the connection with a structured error."""


class LeanSocket:
    """A receiver over one aiohttp WebSocket (raw WebSocket, or Socket.IO's websocket transport)."""

    path = ""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, on_event: EventHandler):
        self.url = base_url.replace("http://", "ws://", 1) + self.path
        self.session = session
        self.on_event = on_event
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
        self.closed.set()

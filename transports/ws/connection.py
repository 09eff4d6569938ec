"""One authenticated WebSocket as the hub sees it: its deliveries and replies go through the
shared write path (``server/outbox.py``): a push hands a pre-built frame to the connection's
``Outbox`` (written at once after a quiet spell; when busy, every outbox touched during one loop
iteration is written once at its end), and a socket whose peer stopped reading is drained by one
task as the peer reads. The outbox is what
``queue_bound`` limits; a peer that lets it fill is a slow consumer that the hub cuts off.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal
from rtspike.transports.server.framing import EventCache
from rtspike.transports.server.outbox import Flusher, Outbox
from rtspike.transports.ws.frames import close_frame

log = get_logger("rtspike.ws")
CLOSE_GRACE_S = 2.0
_MAX_REASON_BYTES = 123


class WsConnection:
    """The ws adapter's ``LiveConnection``: the hub pushes into it from its fan-out loop, so
    ``push`` never blocks and writes at most once (see the module docstring for how frames
    leave).

    Guarantees: frames leave in push order; at most ``queue_bound`` frames wait, beyond that
    ``push`` returns False and the hub ends the connection as a slow consumer; ``close`` is
    idempotent, sends the error frame and the close code once, and frees the socket after
    ``CLOSE_GRACE_S`` even if the peer never answers.
    """

    transport = "ws"

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        principal: Principal,
        frames: EventCache[bytes],
        flusher: Flusher,
        queue_bound: int,
    ) -> None:
        self.principal = principal
        self.close_code: int | None = None
        self.close_reason = ""
        self._ws = ws
        self._sock: asyncio.Transport | None = request.transport
        self._frame = frames.get
        self._out = Outbox(self._sock, request.protocol, flusher, queue_bound)
        self._push = self._out.push
        self._tasks: set[asyncio.Task[None]] = set()

    # the hub's side --------------------------------------------------------------------------
    def push(self, event: MessageEvent) -> bool:
        return self._push(self._frame(event))

    async def drain(self) -> None:
        """Catch-up pacing: wait until everything queued reached the socket and the socket
        itself is writable again, so the next page starts from an empty queue."""
        await self._out.drain()

    def close(self, why: AppError) -> None:
        if self._out.stopped:
            return
        self._stop(why.close_code, why.message)
        task = asyncio.get_running_loop().create_task(self._close(why))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # the handler's side ----------------------------------------------------------------------
    def send_frame(self, frame: bytes) -> None:
        """Replies (ready, ack, error, pong) share the ordered path but are never refused:
        they are bounded by the peer's own requests, which are handled one at a time."""
        self._out.send(frame)

    def peer_gone(self, code: int | None) -> None:
        """The socket ended without our close(): drop whatever was still queued."""
        if not self._out.stopped:
            self._stop(code if code is not None else int(CloseCode.ABNORMAL), "peer closed")

    @property
    def closing(self) -> bool:
        return self._out.stopped

    @property
    def queued(self) -> int:
        return self._out.queued

    # internals -------------------------------------------------------------------------------
    def _stop(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        self._out.stop()

    async def _close(self, why: AppError) -> None:
        """The close payload as an ``error`` frame, then the close frame with its code."""
        code = why.close_code
        self._out.finish(close_frame(why), drop=True)
        slow = code == int(CloseCode.SLOW_CONSUMER)
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._ws.close(
                    code=code, message=why.message.encode()[:_MAX_REASON_BYTES], drain=not slow
                )
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self._abort_if_stuck)

    def _abort_if_stuck(self) -> None:
        """A peer that stopped reading never lets the close frame out; free the socket."""
        sock: Any = self._sock
        if sock is not None and sock.get_write_buffer_size() > 0:
            sock.abort()

"""One authenticated WebSocket as the hub sees it: a non-blocking, bounded writer.

``push`` runs inside the hub's fan-out loop for every subscriber, so it only appends a
pre-built frame to the connection's deque. Every connection touched during one event-loop
iteration is then flushed once, at the start of the next, with one ``transport.write`` of
everything it collected: under load several events share a syscall (the kernel send on
loopback is by far the dearest part of a delivery). A socket whose peer stopped reading keeps
its frames in the deque, drained by one writer coroutine as the peer reads; the deque is what
``queue_bound`` limits, and a peer that lets it fill is a slow consumer that the hub cuts off.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from typing import Any

from aiohttp import web

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal
from rtspike.transports.ws.frames import FrameCache, close_text, text_frame

log = get_logger("rtspike.ws")
CLOSE_GRACE_S = 2.0
SEND_BUFFER_BYTES = 64 * 1024
_MAX_REASON_BYTES = 123


class Flusher:
    """Coalesces writes: one loop callback per iteration flushes every connection that has
    frames waiting, instead of one callback (or one syscall) per delivery."""

    def __init__(self) -> None:
        self._dirty: list[WsConnection] = []

    def mark(self, conn: WsConnection) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._run)
        self._dirty.append(conn)

    def _run(self) -> None:
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            try:
                conn.flush()
            except Exception as exc:
                log.error("ws.flush_failed", error=str(exc), **conn.principal.log_fields())


class WsConnection:
    """The ws adapter's ``LiveConnection``: the hub pushes into it from its fan-out loop, so
    ``push`` never blocks and never writes (see the module docstring for how frames leave).

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
        frames: FrameCache,
        flusher: Flusher,
        queue_bound: int,
    ) -> None:
        self.principal = principal
        self.close_code: int | None = None
        self.close_reason = ""
        self._ws = ws
        self._sock: asyncio.Transport | None = request.transport
        self._protocol: Any = request.protocol
        self._frames = frames
        self._flusher = flusher
        self._bound = queue_bound
        self._high = self._sock.get_write_buffer_limits()[1] if self._sock else 0
        self._limit_kernel_buffer()
        self._queue: deque[bytes] = deque()
        self._marked = False
        self._writer: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._room_waiting = False
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()

    # the hub's side --------------------------------------------------------------------------
    def push(self, event: MessageEvent) -> bool:
        queue = self._queue
        if self._closing:
            return True
        if len(queue) >= self._bound:
            return False
        queue.append(self._frames.message(event))
        if not self._marked and self._writer is None:
            self._marked = True
            self._flusher.mark(self)
        return True

    async def drain(self) -> None:
        """Catch-up pacing: wait until everything queued reached the socket and the socket
        itself is writable again, so the next page starts from an empty queue."""
        while not self._closing and (self._queue or self._paused()):
            if self._queue:
                self._room.clear()
                self._room_waiting = True
                await self._room.wait()
            else:
                await self._wait_writable()

    def close(self, why: AppError) -> None:
        if self._closing:
            return
        self._stop(why.close_code, why.message)
        task = asyncio.get_running_loop().create_task(self._close(why))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # the handler's side ----------------------------------------------------------------------
    def send_frame(self, frame: bytes) -> None:
        """Replies (ready, ack, error, pong) share the ordered path but are never refused:
        they are bounded by the peer's own requests, which are handled one at a time."""
        self._append(frame)

    def peer_gone(self, code: int | None) -> None:
        """The socket ended without our close(): drop whatever was still queued."""
        if not self._closing:
            self._stop(code if code is not None else int(CloseCode.ABNORMAL), "peer closed")

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def queued(self) -> int:
        return len(self._queue)

    def flush(self) -> None:
        """Hand everything queued to the transport in one write, unless the socket is stalled
        (then the writer coroutine takes over until the peer reads again)."""
        self._marked = False
        queue = self._queue
        if not queue or self._writer is not None:
            return
        sock = self._sock
        if sock is None or sock.is_closing():
            queue.clear()
        elif sock.get_write_buffer_size() > self._high:
            self._writer = asyncio.get_running_loop().create_task(self._drain_stalled())
            return
        else:
            sock.write(queue[0] if len(queue) == 1 else b"".join(queue))
            queue.clear()
        if self._room_waiting:
            self._room_waiting = False
            self._room.set()

    # internals -------------------------------------------------------------------------------
    def _append(self, frame: bytes) -> None:
        if self._closing:
            return
        self._queue.append(frame)
        if not self._marked and self._writer is None:
            self._marked = True
            self._flusher.mark(self)

    def _limit_kernel_buffer(self) -> None:
        """Autotuned kernel send buffers reach megabytes per socket, which would hide a stalled
        peer from ``queue_bound`` (and cost memory per connection); a fixed buffer keeps what a
        peer can leave unread at about queue_bound frames plus a few hundred KiB."""
        raw = self._sock.get_extra_info("socket") if self._sock is not None else None
        if raw is not None:
            try:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            except OSError:
                pass

    def _paused(self) -> bool:
        sock = self._sock
        return (
            sock is not None
            and not sock.is_closing()
            and (sock.get_write_buffer_size() > self._high)
        )

    async def _wait_writable(self) -> None:
        helper = getattr(self._protocol, "_drain_helper", None)
        if helper is not None and getattr(self._protocol, "_paused", False):
            await helper()
        elif self._paused():
            await asyncio.sleep(0.005)

    async def _drain_stalled(self) -> None:
        try:
            while self._queue and not self._closing:
                await self._wait_writable()
                sock = self._sock
                if sock is None or sock.is_closing():
                    break
                batch: list[bytes] = []
                size = sock.get_write_buffer_size()
                while self._queue and size <= self._high:
                    frame = self._queue.popleft()
                    batch.append(frame)
                    size += len(frame)
                if batch:
                    sock.write(b"".join(batch))
                if not self._queue:
                    self._room.set()
        except (ConnectionError, RuntimeError):
            self._queue.clear()
        finally:
            self._writer = None
            self._room.set()

    def _stop(self, code: int, reason: str) -> None:
        self._closing = True
        self.close_code, self.close_reason = code, reason
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
        self._room.set()

    async def _close(self, why: AppError) -> None:
        code = why.close_code
        message = why.message.encode()[:_MAX_REASON_BYTES]
        slow = code == int(CloseCode.SLOW_CONSUMER)
        sock = self._sock
        if sock is not None and not sock.is_closing():
            # Behind whatever already reached the transport, ahead of the close frame.
            sock.write(text_frame(close_text(why).encode()))
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._ws.close(code=code, message=message, drain=not slow)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self._abort_if_stuck)

    def _abort_if_stuck(self) -> None:
        """A peer that stopped reading never lets the close frame out; free the socket."""
        sock = self._sock
        if sock is not None and sock.get_write_buffer_size() > 0:
            sock.abort()

"""One SSE stream as the hub sees it: a ``LiveConnection`` that queues pre-encoded frames and
writes them straight into the socket's transport, without a task or an await per delivery.

Why not ``StreamResponse.write``: it is a coroutine, so using it per event would cost a task
per delivery. After the first write (which sends the headers) the body is plain HTTP/1.1 chunked
framing, which we produce here.

A push appends to the connection's queue; one ``Flusher`` callback per event-loop iteration
writes every touched queue as one chunk (one syscall per connection however many events the
iteration fanned out: under load, batching grows by itself). While the socket is stalled (the
transport is over its high-water mark) the queue waits for the request handler's coroutine,
which writes it once the peer reads. That queue is what ``queue_bound`` limits. The kernel send
buffer is fixed (autotuning lets a stalled peer sit on megabytes and hide behind them), so what
a peer can leave unread is about ``queue_bound`` frames plus a few hundred KiB.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import socket
from typing import Any

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode
from rtspike.transports.core.principal import Principal

TRANSPORT = "sse"
KEEPALIVE = b": ka\n\n"
_FRAME = b"id: %b\nevent: message\ndata: %b\n\n"
CLOSE_GRACE_S = 1.0
SEND_BUFFER_BYTES = 64 * 1024

_B64URL = bytes.maketrans(b"+/", b"-_")
_last_event: MessageEvent | None = None
_last_wire = b""


def _wire(event: MessageEvent) -> bytes:
    """A fan-out pushes one event to many connections in a row: encode its bytes once."""
    global _last_event, _last_wire
    if event is not _last_event:
        _last_wire = event.wire().encode()
        _last_event = event
    return _last_wire


class CursorEncoder:
    """``Cursor.encode()`` as bytes, for one connection's cursor: it runs once per delivery, so
    the sorted stream names are baked into a format that is rebuilt only when they change
    (within an epoch streams are only ever added)."""

    def __init__(self) -> None:
        self._shape: tuple[str, int] = ("", -1)
        self._keys: tuple[str, ...] = ()
        self._fmt = b""

    def __call__(self, cursor: Cursor) -> bytes:
        pos = cursor.positions
        if self._shape != (cursor.epoch, len(pos)):
            self._shape = (cursor.epoch, len(pos))
            self._keys = tuple(sorted(pos))
            parts = [cursor.epoch.replace("%", "%%")]
            parts += [f"|{k.replace('%', '%%')}=%d" for k in self._keys]
            self._fmt = "".join(parts).encode()
        text_b = self._fmt % tuple([pos[k] for k in self._keys])
        return b"c1" + binascii.b2a_base64(text_b, newline=False).translate(_B64URL).rstrip(b"=")


class Flusher:
    """Writes every connection pushed to during this loop iteration, once, at its end."""

    def __init__(self) -> None:
        self._dirty: list[SseConnection] = []
        self._scheduled = False

    def mark(self, conn: SseConnection) -> None:
        self._dirty.append(conn)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        dirty, self._dirty = self._dirty, []
        for conn in dirty:
            conn.flush()


def error_frame(why: AppError) -> bytes:
    """The last event of a server-ended stream: the one close payload."""
    body = json.dumps(why.close_payload(), separators=(",", ":")).encode()
    return b"event: error\ndata: %b\n\n" % body


class SseConnection:
    """Lives as long as its request handler, which doubles as its writer coroutine: it only
    wakes for keep-alives, a stalled socket, a catch-up waiting for room, or the end."""

    transport = TRANSPORT

    def __init__(
        self,
        principal: Principal,
        sock: asyncio.Transport,
        writer: Any,
        flusher: Flusher,
        queue_bound: int,
        keepalive_s: float,
        stall_timeout_s: float = 10.0,
    ) -> None:
        self.principal = principal
        self.cursor = Cursor()
        self._encode = CursorEncoder()
        self.close_code: int | None = None
        self.close_reason = ""
        self.ended_by: AppError | None = None
        self._sock = sock
        self._writer = writer
        self._protocol = writer.protocol
        self._flusher = flusher
        self._bound = queue_bound
        self._keepalive_s = keepalive_s
        self._stall_s = stall_timeout_s
        self._queue: list[bytes] = []
        self._pushed = 0
        self._stalled = False
        self._closing = False
        self._gone = False
        self._waiter: asyncio.Future[None] | None = None
        self._room: list[asyncio.Future[None]] = []
        raw = sock.get_extra_info("socket")
        if raw is not None:
            try:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            except OSError:
                pass

    # the hub's side --------------------------------------------------------------------------
    def push(self, event: MessageEvent) -> bool:
        if self._closing or self._gone:
            return True
        queue = self._queue
        if len(queue) >= self._bound:
            return False
        cursor = self.cursor
        cursor.advance(event.stream, event.seq, event.epoch)
        self._pushed += 1
        queue.append(_FRAME % (self._encode(cursor), _wire(event)))
        if len(queue) == 1 and not self._stalled:
            self._flusher.mark(self)
        return True

    async def drain(self) -> None:
        """Catch-up pacing: wait until the queue is written and the socket writable again."""
        loop = asyncio.get_running_loop()
        while (self._queue or self._stalled or self._protocol.writing_paused) and not (
            self._closing or self._gone
        ):
            fut: asyncio.Future[None] = loop.create_future()
            self._room.append(fut)
            self._wake()
            await fut

    def close(self, why: AppError) -> None:
        if self._closing:
            return
        self._closing = True
        self.ended_by = why
        self.close_code, self.close_reason = why.close_code, why.message
        self._wake()

    @property
    def ended_by_peer(self) -> bool:
        return self._gone

    @property
    def pushed(self) -> int:
        return self._pushed

    @property
    def queued(self) -> int:
        return len(self._queue)

    # writing ---------------------------------------------------------------------------------
    def flush(self) -> None:
        """The flusher's call: write the queue now, or leave it to the handler if stalled."""
        if self._closing or self._gone or self._stalled or not self._queue:
            return
        if self._protocol.writing_paused:
            self._stalled = True
            self._wake()
            return
        self._write_queue()
        if self._room and not self._protocol.writing_paused:
            self._release_room()

    def _write_queue(self) -> None:
        queued, self._queue = self._queue, []
        if queued:
            self._write(b"".join(queued))

    def _write(self, data: bytes) -> None:
        sock = self._sock
        if sock.is_closing():
            self._lost()
            return
        sock.write(b"%x\r\n%b\r\n" % (len(data), data))

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _lost(self) -> None:
        self._gone = True
        self._wake()
        self._release_room()

    def _release_room(self) -> None:
        room, self._room = self._room, []
        for fut in room:
            if not fut.done():
                fut.set_result(None)

    # the request handler's coroutine ---------------------------------------------------------
    async def run(self) -> None:
        """Until the hub closes us or the peer goes away."""
        loop = asyncio.get_running_loop()
        while not (self._closing or self._gone):
            if self._stalled or self._room:
                await self._flush_when_writable()
                continue
            self._waiter = loop.create_future()
            try:
                async with asyncio.timeout(self._keepalive_s):
                    await self._waiter
            except TimeoutError:
                self._queue.append(KEEPALIVE)
                if len(self._queue) == 1:
                    self.flush()
            finally:
                self._waiter = None
        await self._finish()

    async def _flush_when_writable(self) -> None:
        """A peer that takes nothing for ``stall_timeout_s`` is cut as a slow consumer: waiting
        for it forever would hold its backlog and skip its keep-alives."""
        try:
            async with asyncio.timeout(self._stall_s):
                await self._writer.drain()
        except TimeoutError:
            self.close(AppError(ErrorCode.SLOW_CONSUMER, "Not reading; reconnect and catch up."))
            return
        except ConnectionError:
            self._lost()
            return
        if self._sock.is_closing():
            self._lost()
            return
        self._stalled = False
        self._write_queue()
        if not self._protocol.writing_paused:
            self._release_room()

    async def _finish(self) -> None:
        """Flush what a healthy peer can take, then the error event; a peer that does not take
        it within a short grace is cut off. A slow consumer's backlog is dropped: it resumes
        from the last id it actually received."""
        self._release_room()
        why = self.ended_by
        if self._gone or self._sock.is_closing() or why is None:
            return
        if why.close_code == CloseCode.SLOW_CONSUMER:
            self._queue.clear()
        self._queue.append(error_frame(why))
        self._write_queue()
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._writer.drain()
        except (TimeoutError, ConnectionError):
            self._sock.abort()
            self._gone = True

"""One SSE stream as the hub sees it: a ``LiveConnection`` whose deliveries go through the
shared write path (``server/outbox.py``) without a task or an await per delivery.

Why not ``StreamResponse.write``: it is a coroutine, so using it per event would cost a task
per delivery. After the first write (which sends the headers) the body is plain HTTP/1.1 chunked
framing, which the ``Outbox`` adds to each write. The request handler's coroutine
only wakes for keep-alives and the end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from rtspike.transports.core.cursor import Cursor, CursorEncoder, cursor_id
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode
from rtspike.transports.core.principal import Principal
from rtspike.transports.server.framing import EventCache, chunk
from rtspike.transports.server.outbox import Flusher, Outbox

TRANSPORT = "sse"
KEEPALIVE = b": ka\n\n"
_FRAME = b"id: %b\nevent: message\ndata: %b\n\n"
CLOSE_GRACE_S = 1.0


class StreamState(StrEnum):
    """OPEN -> ENDING (the hub closed it: flush, error event, end) or OPEN -> GONE (the peer
    left, or a write found the socket closed); ENDING -> GONE when a stuck peer is cut off."""

    OPEN = "open"
    ENDING = "ending"
    GONE = "gone"


_OPEN = StreamState.OPEN


class FrameCache:
    """One app's SSE event frames, shared by its streams: the event's JSON bytes once per
    event, and the whole frame once per (event, cursor). In a fan-out every stream of a room
    carries the same cursor for the same event, so all but the first reuse the first's frame
    instead of each base64-encoding its cursor and formatting a copy of the event (py-spy, open
    loop: the cursor encoding alone cost a third of what the socket writes did)."""

    __slots__ = ("_event", "_frame", "_text", "wire")

    def __init__(self) -> None:
        self.wire: EventCache[bytes] = EventCache(lambda event: event.wire().encode())
        self._event: MessageEvent | None = None
        self._text = b""
        self._frame = b""

    def frame(self, event: MessageEvent, cursor_text: bytes) -> bytes:
        if event is self._event and cursor_text == self._text:
            return self._frame
        frame = _FRAME % (cursor_id(cursor_text), self.wire.get(event))
        self._event, self._text, self._frame = event, cursor_text, frame
        return frame


def error_frame(why: AppError) -> bytes:
    """The last event of a server-ended stream: the one close payload."""
    body = json.dumps(why.close_payload(), separators=(",", ":")).encode()
    return b"event: error\ndata: %b\n\n" % body


class SseConnection:
    """Lives as long as its request handler, which only wakes for keep-alives and the end."""

    transport = TRANSPORT

    def __init__(
        self,
        principal: Principal,
        sock: asyncio.Transport,
        protocol: Any,
        flusher: Flusher,
        wires: FrameCache,
        queue_bound: int,
        keepalive_s: float,
        stall_timeout_s: float = 10.0,
        on_stall: Callable[[SseConnection], None] | None = None,
    ) -> None:
        """``on_stall`` hears of a peer that took nothing for ``stall_timeout_s`` (the hub's
        ``cut_slow_consumer``, which ends and counts it like any slow-consumer cut); the stream
        closes itself as well, in case the hub no longer holds it."""
        self.principal = principal
        self.cursor = Cursor()
        self.state = StreamState.OPEN
        self.ended_by: AppError | None = None
        self._encode = CursorEncoder()
        self._text = self._encode.text
        self._frame = wires.frame
        self._sock = sock
        self._keepalive_s = keepalive_s
        self._pushed = 0
        self._waiter: asyncio.Future[None] | None = None
        self._on_stall = on_stall
        self._out = Outbox(
            sock,
            protocol,
            flusher,
            queue_bound,
            wrap=chunk,
            on_lost=self._lost,
            stall_timeout_s=stall_timeout_s,
            on_stall=self._stalled,
        )
        self._push = self._out.push

    # the hub's side --------------------------------------------------------------------------
    def push(self, event: MessageEvent) -> bool:
        if self.state is not _OPEN:
            return True
        cursor = self.cursor
        cursor.advance(event.stream, event.seq, event.epoch)
        if not self._push(self._frame(event, self._text(cursor))):
            return False
        self._pushed += 1
        return True

    async def drain(self) -> None:
        """Catch-up pacing: wait until the queue is written and the socket writable again."""
        if self.state is StreamState.OPEN:
            await self._out.drain()

    def close(self, why: AppError) -> None:
        if self.state is not StreamState.OPEN:
            return
        self.state = StreamState.ENDING
        self.ended_by = why
        self._wake()

    @property
    def close_code(self) -> int | None:
        return self.ended_by.close_code if self.ended_by is not None else None

    @property
    def close_reason(self) -> str:
        return self.ended_by.message if self.ended_by is not None else ""

    @property
    def ended_by_peer(self) -> bool:
        return self.state is StreamState.GONE

    @property
    def pushed(self) -> int:
        return self._pushed

    @property
    def queued(self) -> int:
        return self._out.queued

    # internals -------------------------------------------------------------------------------
    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _stalled(self) -> None:
        if self._on_stall is not None:
            self._on_stall(self)
        self.close(AppError(ErrorCode.SLOW_CONSUMER, "Not reading; reconnect and catch up."))

    def _lost(self) -> None:
        self.state = StreamState.GONE
        self._wake()

    # the request handler's coroutine ---------------------------------------------------------
    async def run(self) -> None:
        """Until the hub closes us or the peer goes away."""
        loop = asyncio.get_running_loop()
        while self.state is StreamState.OPEN:
            self._waiter = loop.create_future()
            try:
                async with asyncio.timeout(self._keepalive_s):
                    await self._waiter
            except TimeoutError:
                self._out.send(KEEPALIVE)
            finally:
                self._waiter = None
        await self._finish()

    async def _finish(self) -> None:
        """Flush what a healthy peer can take, then the error event; a peer that does not take
        it within a short grace is cut off. A slow consumer's backlog is dropped: it resumes
        from the last id it actually received."""
        why = self.ended_by
        if self.state is StreamState.GONE or self._sock.is_closing() or why is None:
            self._out.stop()
            return
        slow = why.close_code == CloseCode.SLOW_CONSUMER
        self._out.finish(error_frame(why), drop=slow)
        try:
            async with asyncio.timeout(CLOSE_GRACE_S):
                await self._out.writable()
        except (TimeoutError, ConnectionError):
            self._sock.abort()
            self.state = StreamState.GONE

"""One Socket.IO client as the hub sees it.

``push`` must cost a few attribute reads. The event's Socket.IO text is built once per event
(an ``EventCache``, shared by every connection it reaches) and then:

- WebSocket sessions: its WebSocket frame goes to the session's ``DirectWriter`` (its
  ``Outbox``: written at once after a quiet spell, coalesced per loop iteration when busy,
  bounded while the peer is behind);
- long-polling sessions: its Engine.IO packet goes into the Engine.IO socket's own queue, whose
  length is then the count of messages handed over but not yet written.

Either way the bound is ``queue_bound`` messages and ``push`` returns False beyond it.
"""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
from typing import Any, Protocol

from engineio import packet as eio_packet

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError
from rtspike.transports.core.principal import Principal
from rtspike.transports.server.framing import EventCache
from rtspike.transports.socketio.engine import DirectWriter, frame, writer_of

TRANSPORT = "socketio"
EVENT_NEW = "message:new"
_DRAIN_CHECK_S = 0.1


class Closer(Protocol):
    def schedule_close(self, conn: SioConnection, why: AppError) -> None: ...


Encoded = tuple[Any, bytes]
"""An event as an Engine.IO packet (polling sessions) and as its WebSocket frame."""


def encode(event: MessageEvent) -> Encoded:
    packet = eio_packet.Packet(eio_packet.MESSAGE, data=f'2["{EVENT_NEW}",{event.wire()}]')
    return packet, frame(packet.encode())


def packet_cache() -> EventCache[Encoded]:
    return EventCache(encode)


class SessionState(StrEnum):
    """OPEN -> ENDING (the hub closed it: error event, DISCONNECT, then the transport) or
    OPEN/ENDING -> GONE (the client's session ended); nothing is pushed after OPEN."""

    OPEN = "open"
    ENDING = "ending"
    GONE = "gone"


_OPEN = SessionState.OPEN


class SioConnection:
    transport = TRANSPORT

    def __init__(
        self,
        sid: str,
        eio_socket: Any,
        principal: Principal,
        packets: EventCache[Encoded],
        closer: Closer,
        queue_bound: int,
    ) -> None:
        self.sid = sid
        self.principal = principal
        self.eio_socket = eio_socket
        self.state = SessionState.OPEN
        self.ended_by: AppError | None = None
        self._queue: asyncio.Queue[Any] = eio_socket.queue
        # Decided once: a session that connected over polling keeps Engine.IO's queue even
        # after an upgrade, so its pushes never overtake each other.
        self.writer: DirectWriter | None = (
            writer_of(eio_socket) if getattr(eio_socket, "upgraded", False) else None
        )
        self._packets = packets
        self._closer = closer
        self._bound = queue_bound

    @property
    def closing(self) -> bool:
        return self.state is not _OPEN

    @property
    def close_code(self) -> int | None:
        return self.ended_by.close_code if self.ended_by is not None else None

    def push(self, event: MessageEvent) -> bool:
        if self.state is not _OPEN:
            return True
        writer = self.writer
        if writer is not None:
            return writer.push(self._packets.get(event)[1])
        queue = self._queue
        if queue.qsize() >= self._bound:
            return False
        queue.put_nowait(self._packets.get(event)[0])
        return True

    @property
    def queued(self) -> int:
        return self.writer.queued if self.writer is not None else self._queue.qsize()

    async def drain(self) -> None:
        """Catch-up pacing: wait until the backlog is written, so the next page fits."""
        if self.writer is not None:
            if not self.closing:
                await self.writer.drain()
            return
        low = self._bound // 2
        while not self.closing and not self.eio_socket.closed and self._queue.qsize() > low:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), _DRAIN_CHECK_S)

    def close(self, why: AppError) -> None:
        if self.state is not _OPEN:
            return
        self.state = SessionState.ENDING
        self.ended_by = why
        self._closer.schedule_close(self, why)

    def peer_gone(self) -> None:
        """The client ended the session; nothing more will be written."""
        self.state = SessionState.GONE

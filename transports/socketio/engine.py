"""One ordered, bounded writer per Engine.IO WebSocket, shared by hub pushes and Engine.IO.

Engine.IO's own writer is a task per socket that wakes once per queued packet (``wait_for`` on
``Queue.get``, then an awaited send): at fan-out that costs more than the write itself. For a
WebSocket session this module takes the socket over: the aiohttp driver's WebSocket class is
wrapped (per server, never globally), Engine.IO's writer hands its packets to ``send`` here, and
hub pushes call ``push`` with a pre-built frame shared by every connection. Both go through the
session's ``Outbox`` (``server/outbox.py``, the write path every adapter shares), so order is
the order of calls and the bound is ``queue_bound`` frames.

Pushes made before the Socket.IO CONNECT packet has gone out wait in ``early``, so a client never
sees a message before its connect. Sessions that start on long-polling keep Engine.IO's queue
(see ``SioConnection``); after an upgrade their packets still reach the socket through ``send``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engineio.async_drivers import aiohttp as eio_aiohttp

from rtspike.transports.core.errors import CloseCode
from rtspike.transports.server.framing import WS_BINARY, WS_TEXT, ws_frame
from rtspike.transports.server.outbox import Flusher, Outbox

WRITER_ATTR = "rtspike_writer"
ON_ERROR_ATTR = "rtspike_on_error"
REPLY_BOUND_ATTR = "rtspike_reply_bound"
_CONNECT_PREFIX = "40"
_CLOSE_DRAIN_S = 1.0


def frame(payload: str | bytes) -> bytes:
    """Engine.IO's packets as WebSocket frames: text for str, binary for bytes."""
    if isinstance(payload, str):
        return ws_frame(payload.encode(), WS_TEXT)
    return ws_frame(bytes(payload), WS_BINARY)


class DirectWriter:
    """The session's ``Outbox`` plus the hold on pushes until CONNECT has gone out."""

    def __init__(
        self, transport: Any, protocol: Any, flusher: Flusher, bound: int, reply_bound: int
    ) -> None:
        self.reply_bound = reply_bound
        self.ready = False
        self.early: list[bytes] = []
        self.outbox = Outbox(transport, protocol, flusher, bound)
        self._bound = bound

    @property
    def transport(self) -> Any:
        return self.outbox.transport

    @property
    def queued(self) -> int:
        return self.outbox.queued + len(self.early)

    def push(self, data: bytes) -> bool:
        if not self.ready:
            if len(self.early) >= self._bound:
                return False
            self.early.append(data)
            return True
        return self.outbox.push(data)

    def send_packet(self, encoded: str | bytes) -> None:
        """Engine.IO's packets (acks, errors, pings): never refused, but a peer that sends
        and never reads would queue them without end, so past ``reply_bound`` queued frames
        its transport is cut (it is not reading: no error frame could reach it)."""
        if self.outbox.queued >= self.reply_bound:
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.abort()
            return
        self.outbox.send(frame(encoded))
        if not self.ready and isinstance(encoded, str) and encoded.startswith(_CONNECT_PREFIX):
            self.ready = True
            early, self.early = self.early, []
            for data in early:
                self.outbox.send(data)
            # From now on a push is the outbox's push: one call less per delivery.
            self.push = self.outbox.push  # type: ignore[method-assign]

    async def drain(self) -> None:
        await self.outbox.drain()


class TaggedWebSocket(eio_aiohttp.WebSocket):
    """Engine.IO's WebSocket wrapper with its writes routed through a ``DirectWriter``.
    ``install`` makes one subclass per server, carrying that server's flusher and bound."""

    writer: DirectWriter | None = None
    flusher: Flusher | None = None
    bound = 1

    async def __call__(self, environ: dict[str, Any]) -> Any:
        request = environ.get("aiohttp.request")
        transport = getattr(request, "transport", None)
        eio_socket = getattr(self.handler, "__self__", None)
        if transport is not None and eio_socket is not None and self.flusher is not None:
            protocol = request.protocol  # type: ignore[union-attr]
            replies = getattr(self.server, REPLY_BOUND_ATTR, 1 << 30)
            self.writer = DirectWriter(transport, protocol, self.flusher, self.bound, replies)
            setattr(eio_socket, WRITER_ATTR, self.writer)
        try:
            return await super().__call__(environ)
        except Exception as exc:
            # Engine.IO lets a packet it cannot decode end its loop with an exception; on an
            # upgraded socket that must become a close code, never an HTTP 500.
            sock = self._sock
            if sock is None or not sock.prepared:
                raise
            report = getattr(self.server, ON_ERROR_ATTR, None)
            if report is not None:
                report(exc)
            await sock.close(code=int(CloseCode.PROTOCOL_ERROR), message=b"undecodable packet")
            return sock

    async def send(self, message: str | bytes) -> None:
        if self.writer is None:
            await super().send(message)
        else:
            self.writer.send_packet(message)

    async def close(self) -> None:
        if self.writer is not None and self.writer.queued:
            try:
                await asyncio.wait_for(self.writer.drain(), _CLOSE_DRAIN_S)
            except TimeoutError:
                pass
        await super().close()


def install(eio_server: Any, flusher: Flusher, bound: int) -> None:
    """``_async`` is the driver table Engine.IO copied from its aiohttp module at construction;
    replace this server's entry only."""
    tagged = type("TaggedWebSocket", (TaggedWebSocket,), {"flusher": flusher, "bound": bound})
    eio_server._async = {**eio_server._async, "websocket": tagged}


def writer_of(eio_socket: Any) -> DirectWriter | None:
    return getattr(eio_socket, WRITER_ATTR, None)

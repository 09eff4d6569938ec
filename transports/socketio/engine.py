"""One ordered, bounded writer per Engine.IO WebSocket, shared by hub pushes and Engine.IO.

Engine.IO's own writer is a task per socket that wakes once per queued packet (``wait_for`` on
``Queue.get``, then an awaited send): at fan-out that costs more than the write itself. For a
WebSocket session this module takes the socket over: the aiohttp driver's WebSocket class is
wrapped (per server, never globally), Engine.IO's writer hands its packets to ``send`` here, and
hub pushes call ``write`` with a pre-built frame shared by every connection. Both go through the
same path, so order is the order of calls: a frame goes straight to the transport while its
buffer is under the high-water mark, otherwise it waits in ``pending`` (what ``queue_bound``
limits) for a flusher that follows the peer's reading.

Pushes made before the Socket.IO CONNECT packet has gone out wait in ``early``, so a client never
sees a message before its connect. Sessions that start on long-polling keep Engine.IO's queue
(see ``SioConnection``); after an upgrade their packets still reach the socket through ``send``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import deque
from typing import Any

from engineio.async_drivers import aiohttp as eio_aiohttp

from rtspike.transports.core.errors import CloseCode

SEND_BUFFER_BYTES = 64 * 1024
WRITER_ATTR = "rtspike_writer"
ON_ERROR_ATTR = "rtspike_on_error"
REPLY_BOUND_ATTR = "rtspike_reply_bound"
_CONNECT_PREFIX = "40"


def frame(payload: str | bytes) -> bytes:
    """An unmasked server-to-client WebSocket frame (text for str, binary for bytes)."""
    if isinstance(payload, str):
        data, opcode = payload.encode(), 0x81
    else:
        data, opcode = bytes(payload), 0x82
    n = len(data)
    if n < 126:
        return bytes((opcode, n)) + data
    if n < 65536:
        return struct.pack("!BBH", opcode, 126, n) + data
    return struct.pack("!BBQ", opcode, 127, n) + data


def limit_kernel_buffer(transport: Any) -> None:
    """Autotuned kernel send buffers grow to megabytes per socket and would hide a stalled peer
    from ``queue_bound`` (and cost memory per connection). A fixed buffer keeps what a peer can
    leave unread at about queue_bound packets plus a few hundred KiB."""
    raw = transport.get_extra_info("socket")
    if raw is not None:
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        except OSError:
            pass


class DirectWriter:
    def __init__(self, transport: Any, protocol: Any, reply_bound: int = 1 << 30) -> None:
        self.transport = transport
        self.reply_bound = reply_bound
        self.ready = False
        self.pending: deque[bytes] = deque()
        self.early: list[bytes] = []
        self._protocol = protocol
        self._high = transport.get_write_buffer_limits()[1]
        self._flusher: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        limit_kernel_buffer(transport)

    @property
    def queued(self) -> int:
        return len(self.pending) + len(self.early)

    def push(self, data: bytes, bound: int) -> bool:
        if not self.ready:
            if len(self.early) >= bound:
                return False
            self.early.append(data)
            return True
        return self.write(data, bound)

    def write(self, data: bytes, bound: int | None = None) -> bool:
        transport = self.transport
        if transport.is_closing():
            return True
        if not self.pending and transport.get_write_buffer_size() <= self._high:
            transport.write(data)
            return True
        if bound is not None and len(self.pending) >= bound:
            return False
        self.pending.append(data)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return True

    def send_packet(self, encoded: str | bytes) -> None:
        """Engine.IO's packets (acks, errors, pings): never refused, but a peer that sends
        and never reads would queue them without end, so past ``reply_bound`` queued frames
        its transport is cut (it is not reading: no error frame could reach it)."""
        if len(self.pending) >= self.reply_bound:
            if not self.transport.is_closing():
                self.transport.abort()
            return
        self.write(frame(encoded))
        if not self.ready and isinstance(encoded, str) and encoded.startswith(_CONNECT_PREFIX):
            self.ready = True
            early, self.early = self.early, []
            for data in early:
                self.write(data)

    async def drain(self) -> None:
        while self.queued and not self.transport.is_closing():
            self._room.clear()
            await self._room.wait()

    async def _flush(self) -> None:
        transport = self.transport
        try:
            while self.pending and not transport.is_closing():
                while self.pending and transport.get_write_buffer_size() <= self._high:
                    transport.write(self.pending.popleft())
                if self.pending:
                    await self._protocol._drain_helper()
        except (ConnectionError, RuntimeError):
            self.pending.clear()
        finally:
            self._flusher = None
            self._room.set()


class TaggedWebSocket(eio_aiohttp.WebSocket):
    """Engine.IO's WebSocket wrapper with its writes routed through a ``DirectWriter``."""

    writer: DirectWriter | None = None

    async def __call__(self, environ: dict[str, Any]) -> Any:
        request = environ.get("aiohttp.request")
        transport = getattr(request, "transport", None)
        eio_socket = getattr(self.handler, "__self__", None)
        if transport is not None and eio_socket is not None:
            bound = getattr(self.server, REPLY_BOUND_ATTR, 1 << 30)
            self.writer = DirectWriter(transport, request.protocol, bound)  # type: ignore[union-attr]
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
        if self.writer is not None and self.writer.pending:
            try:
                await asyncio.wait_for(self.writer.drain(), 1.0)
            except TimeoutError:
                pass
        await super().close()


def install(eio_server: Any) -> None:
    """``_async`` is the driver table Engine.IO copied from its aiohttp module at construction;
    replace this server's entry only."""
    eio_server._async = {**eio_server._async, "websocket": TaggedWebSocket}


def writer_of(eio_socket: Any) -> DirectWriter | None:
    return getattr(eio_socket, WRITER_ATTR, None)

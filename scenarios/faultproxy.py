"""A TCP fault proxy between clients and a server, on loopback only: pass, blackhole, reset,
delay.

Toxiproxy (the usual tool) is not installable on this machine (no package in the allowed
registries, no binary download), so this is a small asyncio one with the faults the native
scenarios need:

- ``pass``: bytes flow both ways.
- ``blackhole``: what a phone sees when the network drops without a FIN. Both directions stop
  being read and forwarded and every socket stays open; bytes sent meanwhile wait in the kernel
  buffers and flow again when the mode returns to ``pass`` (as TCP retransmission delivers them
  after a short outage), unless an endpoint gave up first. A FIN or RST from one side is not
  passed on while blackholed either. New connections are accepted and held, never forwarded.
- ``reset``: every open pair is closed with an RST on both sides (SO_LINGER 0), and new
  connections are reset at once.
- ``delay``: each chunk is forwarded ``delay_s`` after it was read, in order.

A proxy whose upstream refuses (the server is down) resets the client's connection, which is
what a browser sees from a killed server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from dataclasses import dataclass, field
from enum import StrEnum

from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.faultproxy")
LOOPBACK = "127.0.0.1"
CHUNK = 65536
MAX_PAIRS = 512


class Mode(StrEnum):
    PASS = "pass"
    BLACKHOLE = "blackhole"
    RESET = "reset"
    DELAY = "delay"


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN: linger on, timeout 0."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass(eq=False)
class Pair:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        for w in (self.client, self.upstream):
            if w is not None:
                _rst(w)
        for t in self.tasks:
            t.cancel()


class FaultProxy:
    """Listens on a free loopback port and forwards to ``upstream_port`` (loopback)."""

    def __init__(self, upstream_port: int, upstream_host: str = LOOPBACK) -> None:
        if upstream_host not in (LOOPBACK, "localhost"):
            raise ValueError("the fault proxy forwards to loopback only")
        self.upstream = (upstream_host, upstream_port)
        self.mode = Mode.PASS
        self.delay_s = 0.0
        self.pairs: set[Pair] = set()
        self.forwarded = {"up": 0, "down": 0}
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for pair in list(self.pairs):
            pair.reset()
        self.pairs.clear()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def set_mode(self, mode: Mode, delay_s: float = 0.0) -> None:
        self.mode, self.delay_s = mode, delay_s
        if mode is Mode.BLACKHOLE:
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode is Mode.RESET:
            for pair in list(self.pairs):
                pair.reset()
            self.pairs.clear()
        log.debug("faultproxy.mode", mode=str(mode), port=self.port, pairs=len(self.pairs))

    @property
    def open_pairs(self) -> int:
        return len(self.pairs)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.RESET or len(self.pairs) >= MAX_PAIRS:
            _rst(writer)
            return
        pair = Pair(writer)
        self.pairs.add(pair)
        try:
            await self._flowing.wait()
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                _rst(writer)
                return
            pair.upstream = up_writer
            pair.tasks = [
                asyncio.create_task(self._pump(reader, up_writer, "up")),
                asyncio.create_task(self._pump(up_reader, writer, "down")),
            ]
            await asyncio.gather(*pair.tasks, return_exceptions=True)
        finally:
            self.pairs.discard(pair)
            for w in (writer, pair.upstream):
                if w is not None and not w.is_closing():
                    w.close()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        """Read only while flowing: a blackhole leaves bytes (and any FIN) unread."""
        try:
            while True:
                await self._flowing.wait()
                data = await reader.read(CHUNK)
                read_at = time.monotonic()
                await self._flowing.wait()
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                if self.mode is Mode.DELAY and self.delay_s > 0:
                    await asyncio.sleep(max(0.0, read_at + self.delay_s - time.monotonic()))
                writer.write(data)
                self.forwarded[direction] += len(data)
                await writer.drain()
        except (ConnectionError, OSError):
            _rst(writer)

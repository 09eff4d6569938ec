"""The one write path of the adapters: how a delivery gets from the hub into a socket.

A fan-out hands one event to thousands of connections in a row, inside the hub's loop, so a
push may not await or spawn a task, and makes at most one syscall (a write straight to an idle
socket). Every adapter therefore writes through these, once (what it writes, built once per
event, comes from ``framing.py``):

- ``Outbox``: a connection's ordered, bounded queue of ready-to-write bytes. The hub's pushes are
  refused beyond ``bound`` (the slow-consumer rule); replies are never refused (they are bounded
  by the peer's own requests). A stalled socket (its transport over the high-water mark) is
  drained by one task that follows the peer's reading;
- ``Flusher``: when busy, one loop callback per iteration writes every outbox touched during
  it, each as one ``transport.write`` (several events share a syscall: on loopback the kernel
  send is the dearest part of a delivery); after a quiet spell, a turn's first delivery to a
  socket is written at once (low latency when there is nothing to share a write with);
- ``pin_send_buffer``: a fixed kernel send buffer. Autotuned buffers grow to megabytes per
  socket and would hide a stalled peer from ``bound`` (and cost memory per connection); pinned,
  what a peer can leave unread is about ``bound`` frames plus a few hundred KiB.
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from rtspike.transports.core.logging import get_logger

__all__ = ["SEND_BUFFER_BYTES", "Flusher", "Outbox", "pin_send_buffer"]

log = get_logger("rtspike.writer")
SEND_BUFFER_BYTES = 64 * 1024
QUIET_S = 0.005
_STALL_POLL_S = 0.005


def pin_send_buffer(transport: Any) -> None:
    raw = transport.get_extra_info("socket") if transport is not None else None
    if raw is not None:
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        except OSError:
            pass


class Flusher:
    """Coalesces writes when busy, writes through when quiet.

    Busy (a delivery less than ``quiet_s`` before this loop turn), one loop callback per turn
    flushes every outbox that has bytes waiting, instead of one callback or syscall per
    delivery. After a quiet spell, the first delivery of that turn to each connection goes
    straight to its socket (the rest of the turn still share one write): nothing is queued to
    share it with, and waiting for the end of the turn made every receiver wait for the whole
    fan-out's pushes first (measured at 50 broadcasts/s to 100 connections: the first byte left
    ~1 ms later than a bare aiohttp loop's).
    """

    def __init__(self, quiet_s: float = QUIET_S) -> None:
        self._dirty: list[Outbox] = []
        self._quiet_s = quiet_s
        self._last_turn = -math.inf
        self._through: bool | None = None

    def write_through(self) -> bool:
        """This turn's decision, taken at its first delivery."""
        through = self._through
        if through is None:
            loop = asyncio.get_running_loop()
            through = self._through = loop.time() - self._last_turn > self._quiet_s
            loop.call_soon(self._turn_over)
        return through

    def _turn_over(self) -> None:
        self._through = None
        self._last_turn = asyncio.get_running_loop().time()

    def mark(self, box: Outbox) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._run)
        self._dirty.append(box)

    def _run(self) -> None:
        dirty, self._dirty = self._dirty, []
        for box in dirty:
            try:
                box.flush()
            except Exception as exc:
                log.error("writer.flush_failed", error=str(exc))


class Outbox:
    """One connection's ordered, bounded write queue (see the module docstring).

    ``wrap`` frames each write (SSE's chunked encoding); ``on_lost`` runs once when a write
    finds the transport gone, so the owner stops waiting for a peer that left; ``on_stall``
    runs when a stalled peer takes nothing for ``stall_timeout_s`` (the owner cuts it as a slow
    consumer: waiting forever would hold its backlog and skip its keep-alives).
    """

    __slots__ = (
        "_bound",
        "_flusher",
        "_high",
        "_lost",
        "_marked",
        "_on_lost",
        "_on_stall",
        "_protocol",
        "_queue",
        "_room",
        "_sock",
        "_stall_s",
        "_waiting",
        "_wrap",
        "_writer",
        "stopped",
    )

    def __init__(
        self,
        transport: asyncio.Transport | None,
        protocol: Any,
        flusher: Flusher,
        bound: int,
        wrap: Callable[[bytes], bytes] | None = None,
        on_lost: Callable[[], None] | None = None,
        stall_timeout_s: float | None = None,
        on_stall: Callable[[], None] | None = None,
    ) -> None:
        self._sock = transport
        self._protocol = protocol
        self._flusher = flusher
        self._bound = bound
        self._wrap = wrap
        self._on_lost = on_lost
        self._stall_s = stall_timeout_s
        self._on_stall = on_stall
        self._high = transport.get_write_buffer_limits()[1] if transport is not None else 0
        self._queue: deque[bytes] = deque()
        self._marked = False
        self._writer: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._waiting = False
        self._lost = False
        self.stopped = False
        pin_send_buffer(transport)

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._sock

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def stalled(self) -> bool:
        return self._writer is not None

    def push(self, data: bytes) -> bool:
        """A delivery: False when ``bound`` writes are already waiting (a slow consumer)."""
        if self.stopped:
            return True
        queue = self._queue
        if len(queue) >= self._bound:
            return False
        if not self._marked and self._writer is None and self._flusher.write_through():
            sock = self._sock
            if (
                sock is not None
                and not sock.is_closing()
                and sock.get_write_buffer_size() <= self._high
            ):
                # Marked, so that what else reaches this connection in the same turn waits
                # for the turn's flush instead of costing a write each.
                self._put(sock, data)
                self._marked = True
                self._flusher.mark(self)
                return True
        queue.append(data)
        if not self._marked and self._writer is None:
            self._marked = True
            self._flusher.mark(self)
        return True

    def send(self, data: bytes) -> None:
        """A reply or a control frame: same order as pushes, never refused."""
        if self.stopped:
            return
        self._queue.append(data)
        if not self._marked and self._writer is None:
            self._marked = True
            self._flusher.mark(self)

    def flush(self) -> None:
        """Everything queued in one write, unless the socket is stalled (then the writer task
        takes over until the peer reads again)."""
        self._marked = False
        queue = self._queue
        if not queue or self._writer is not None:
            return
        sock = self._sock
        if sock is None or sock.is_closing():
            queue.clear()
            self._gone()
        elif sock.get_write_buffer_size() > self._high:
            self._writer = asyncio.get_running_loop().create_task(self._write_when_writable())
            return
        else:
            data = queue[0] if len(queue) == 1 else b"".join(queue)
            queue.clear()
            self._put(sock, data)
        if self._waiting:
            self._waiting = False
            self._room.set()

    def write_now(self, data: bytes) -> None:
        """Straight to the transport, behind what it already holds and ahead of anything still
        queued (the last frame before a close, after ``stop`` dropped the backlog)."""
        sock = self._sock
        if sock is not None and not sock.is_closing():
            self._put(sock, data)

    def _put(self, sock: asyncio.Transport, data: bytes) -> None:
        sock.write(self._wrap(data) if self._wrap is not None else data)

    async def drain(self) -> None:
        """Catch-up pacing: return once everything queued reached the transport and the
        transport is under its high-water mark again (or the outbox stopped)."""
        while not self.stopped and not self._lost and (self._queue or self.paused()):
            if self._queue:
                self._room.clear()
                self._waiting = True
                await self._room.wait()
            else:
                await self._wait_writable()

    def finish(self, last: bytes, drop: bool) -> None:
        """Stop, and write ``last`` (the close payload) now, behind what is queued unless
        ``drop``: the one write that may exceed the high-water mark, by one frame."""
        queued = [] if drop else list(self._queue)
        self.stop()
        self.write_now(b"".join([*queued, last]))

    async def writable(self) -> None:
        """Return once the transport is under its high-water mark (raises ConnectionError
        when the peer is gone)."""
        while self.paused():
            await self._wait_writable()

    def stop(self) -> None:
        """No more writes: drop the backlog (the client resumes from its cursor) and release
        whoever waits in ``drain``."""
        self.stopped = True
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()
        self._room.set()

    def paused(self) -> bool:
        sock = self._sock
        return (
            sock is not None and not sock.is_closing() and sock.get_write_buffer_size() > self._high
        )

    async def _wait_writable(self) -> None:
        helper = getattr(self._protocol, "_drain_helper", None)
        if helper is not None and getattr(self._protocol, "_paused", False):
            await helper()
        elif self.paused():
            await asyncio.sleep(_STALL_POLL_S)

    async def _write_when_writable(self) -> None:
        try:
            while self._queue and not self.stopped:
                try:
                    async with asyncio.timeout(self._stall_s):
                        await self._wait_writable()
                except TimeoutError:
                    if self._on_stall is not None:
                        self._on_stall()
                    break
                sock = self._sock
                if sock is None or sock.is_closing():
                    self._queue.clear()
                    self._gone()
                    break
                batch: list[bytes] = []
                size = sock.get_write_buffer_size()
                while self._queue and size <= self._high:
                    frame = self._queue.popleft()
                    batch.append(frame)
                    size += len(frame)
                if batch:
                    data = b"".join(batch)
                    self._put(sock, data)
        except (ConnectionError, RuntimeError):
            self._queue.clear()
            self._gone()
        finally:
            self._writer = None
            self._waiting = False
            self._room.set()

    def _gone(self) -> None:
        if self._lost:
            return
        self._lost = True
        self._room.set()
        if self._on_lost is not None:
            self._on_lost()

"""Per-process delivery: ordered, gap-free, duplicate-free pushes to live connections.

Two levels of sequencing make "every handler sees every visible message exactly once, in
order" hold even when the bus reorders or drops publications (several nodes, a Redis restart):

- a ``Feed`` per stream holds this process's view of the stream. Publications that arrive
  ahead of a gap wait while the gap is read back from the log, then everything goes out in seq
  order.
- an ``Attachment`` per connection holds what that connection has been given. While it
  catches up from the log (on connect or after a gap of its own) live events are buffered, then
  replayed with everything at or below its position dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from rtspike.transports.core.connection import LiveConnection
from rtspike.transports.core.envelope import MessageEvent

__all__ = [
    "Attachment",
    "Attachments",
    "Feed",
    "GapReader",
    "Overflow",
    "SyncStarter",
]


class AttachState(StrEnum):
    """PENDING -> SYNCING (reading the log; live events are buffered) -> LIVE, back to SYNCING
    on a gap of its own; CLOSED from any state, and final."""

    PENDING = "pending"
    SYNCING = "syncing"
    LIVE = "live"
    CLOSED = "closed"


@dataclass(eq=False)
class Attachment:
    conn: LiveConnection
    streams: tuple[str, ...]
    epoch: str
    positions: dict[str, int]
    state: AttachState = AttachState.PENDING
    buffered: list[MessageEvent] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None

    @property
    def closed(self) -> bool:
        return self.state is AttachState.CLOSED


SyncStarter = Callable[[Attachment], None]
Overflow = Callable[[Attachment], None]


class Attachments:
    """Offer events to one attachment; tells the hub when it needs a log read.

    What arrives during a catch-up is held for the attachment, up to ``buffer_bound`` events:
    a reader that stalls its catch-up is cut as a slow consumer beyond that (the events are in
    the log; it resumes from its cursor)."""

    def __init__(self, start_sync: SyncStarter, overflow: Overflow, buffer_bound: int) -> None:
        self._start_sync = start_sync
        self._overflow = overflow
        self._buffer_bound = buffer_bound
        self.delivered: dict[str, int] = {}

    def _hold(self, att: Attachment, event: MessageEvent) -> None:
        if len(att.buffered) >= self._buffer_bound:
            att.buffered = []
            self._overflow(att)
            return
        att.buffered.append(event)

    def offer(self, att: Attachment, event: MessageEvent) -> None:
        state = att.state
        if state is not AttachState.LIVE:
            if state is not AttachState.CLOSED:
                self._hold(att, event)
            return
        if event.epoch != att.epoch:
            att.epoch = event.epoch
            att.positions = {}
        pos = att.positions.get(event.stream, 0)
        if event.seq <= pos:
            return
        if event.seq != pos + 1:
            att.state = AttachState.PENDING  # behind: not live until a log read catches up
            self._hold(att, event)
            self._start_sync(att)  # -> SYNCING, unless the hold overflowed and closed it
            return
        att.positions[event.stream] = event.seq
        transport = att.conn.transport
        self.delivered[transport] = self.delivered.get(transport, 0) + 1
        if not att.conn.push(event):
            self._overflow(att)

    def offer_all(self, atts: tuple[Attachment, ...], event: MessageEvent) -> None:
        """``offer`` to each of ``atts``, with the common case (live, same epoch, the next seq)
        decided inline and counted once: this loop runs once per delivery, so its per-item
        work is the fan-out's bookkeeping cost (py-spy, open loop: ``offer`` was the largest
        Python item after the socket writes). Anything else takes ``offer``'s full path."""
        stream, seq, epoch = event.stream, event.seq, event.epoch
        before = seq - 1
        live = AttachState.LIVE
        counts: dict[str, int] = {}
        try:
            for att in atts:
                positions = att.positions
                if (
                    att.state is not live
                    or att.epoch != epoch
                    or positions.get(stream, 0) != before
                ):
                    self.offer(att, event)
                    continue
                positions[stream] = seq
                conn = att.conn
                transport = conn.transport
                counts[transport] = counts.get(transport, 0) + 1
                if not conn.push(event):
                    self._overflow(att)
        finally:
            delivered = self.delivered
            for transport, n in counts.items():
                delivered[transport] = delivered.get(transport, 0) + n

    def go_live(self, att: Attachment) -> None:
        """Switch to live and replay what arrived during the log read, in arrival order."""
        pending, att.buffered = att.buffered, []
        att.state = AttachState.LIVE
        for event in sorted(pending, key=lambda e: (e.stream, e.seq)):
            self.offer(att, event)


GapReader = Callable[[str, int, int], Awaitable[list[MessageEvent]]]


class Feed:
    """This process's ordered view of one stream."""

    def __init__(self, stream: str, read_gap: GapReader, attachments: Attachments) -> None:
        self.stream = stream
        self.subscribers: set[Attachment] = set()
        self._read_gap = read_gap
        self._atts = attachments
        self._epoch: str | None = None
        self._head: int | None = None
        self._pending: dict[int, MessageEvent] = {}
        self._filling: asyncio.Task[None] | None = None

    def publish(self, event: MessageEvent) -> None:
        if event.epoch != self._epoch:
            self._epoch, self._head, self._pending = event.epoch, None, {}
        if self._head is None:
            self._head = event.seq - 1
        if event.seq <= self._head:
            return
        if event.seq > self._head + 1:
            self._pending[event.seq] = event
            if self._filling is None:
                self._filling = asyncio.get_running_loop().create_task(self._fill())
            return
        self._emit(event)
        self._drain_pending()

    def _emit(self, event: MessageEvent) -> None:
        self._head = event.seq
        self._atts.offer_all(tuple(self.subscribers), event)

    def _drain_pending(self) -> None:
        while self._head is not None and self._head + 1 in self._pending:
            self._emit(self._pending.pop(self._head + 1))

    async def _fill(self) -> None:
        try:
            while self._pending and self._head is not None:
                upto = min(self._pending)
                epoch = self._epoch
                try:
                    missing = await self._read_gap(self.stream, self._head, upto - 1)
                except Exception:
                    await asyncio.sleep(0.2)
                    continue
                if epoch != self._epoch:
                    continue
                for event in missing:
                    if self._head is not None and event.seq == self._head + 1:
                        self._emit(event)
                if self._head is not None and self._head < upto - 1:
                    # The log does not have them (yet): skip ahead rather than stall the stream;
                    # each attachment notices its own gap and re-reads the log.
                    self._head = upto - 1
                self._drain_pending()
        finally:
            self._filling = None

    async def close(self) -> None:
        if self._filling is not None:
            self._filling.cancel()

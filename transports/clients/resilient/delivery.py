"""Exactly-once, per-stream-ordered delivery to one handler, whatever path an event took.

Live pushes, REST polls and gap fills all funnel through one lock, so the handler never sees
two events at once and the cursor (the resume token for every path) only moves when an event
has been handed over.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable

from rtspike.transports.clients.base import MessageHandler
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.resilient")

Fetch = Callable[[str], Awaitable[tuple[list[MessageEvent], bool]]]
"""REST read: events after a cursor string, and whether more are waiting."""


def full_jitter(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """AWS-style full jitter: spreads reconnect storms after a restart across the whole window
    instead of synchronizing every client on the same exponential steps."""
    ceiling = min(cap, base * 2 ** min(max(attempt, 0), 62))
    return (rng or random).uniform(0.0, ceiling)


class GapUnfilled(RtspikeError):
    """A live event jumped ahead and REST could not supply the missing range (yet)."""


class Delivery:
    def __init__(
        self,
        handler: MessageHandler,
        fetch: Fetch,
        cursor: str | None = None,
        recent_ids: int = 4096,
    ) -> None:
        self.handler = handler
        self.fetch = fetch
        self.position = Cursor.decode(cursor)
        self.lock = asyncio.Lock()
        self.delivered = 0
        self.duplicates = 0
        self.gaps_filled = 0
        self._recent: deque[str] = deque(maxlen=recent_ids)
        self._seen: set[str] = set()

    @property
    def cursor(self) -> str:
        return self.position.encode()

    async def live(self, event: MessageEvent) -> None:
        """A pushed event: in order -> deliver; behind -> drop; ahead -> fill from REST first.
        Raises GapUnfilled (delivering nothing of the jumped event) if the fill fails."""
        async with self.lock:
            if self._duplicate(event):
                return
            if event.seq > self._last(event) + 1:
                await self._fill(event)
                if self._duplicate(event):
                    return
                if event.seq > self._last(event) + 1:
                    raise GapUnfilled(f"{event.stream}: seq {event.seq} after {self._last(event)}")
            await self._hand_over(event)

    async def catch_up(self) -> int:
        """Poll: everything after the cursor, following ``has_more`` at once."""
        async with self.lock:
            return await self._drain()

    async def _fill(self, event: MessageEvent) -> None:
        before = self._last(event)
        try:
            await self._drain(until=event)
        except Exception as exc:
            raise GapUnfilled(f"gap fill failed: {type(exc).__name__}") from exc
        log.info(
            "client.gap_filled",
            stream=event.stream,
            after=before,
            upto=self._last(event),
            jumped_to=event.seq,
        )
        self.gaps_filled += 1

    async def _drain(self, until: MessageEvent | None = None) -> int:
        count = 0
        while True:
            events, more = await self.fetch(self.cursor)
            for event in events:
                if not self._duplicate(event):
                    await self._hand_over(event)
                    count += 1
            if not more or not events:
                return count
            if until is not None and self._last(until) >= until.seq - 1:
                return count

    def _last(self, event: MessageEvent) -> int:
        return self.position.after(event.stream, event.epoch)

    def _duplicate(self, event: MessageEvent) -> bool:
        if event.id in self._seen or event.seq <= self._last(event):
            self.duplicates += 1
            return True
        return False

    async def _hand_over(self, event: MessageEvent) -> None:
        if self.position.epoch and event.epoch != self.position.epoch:
            log.warning("client.epoch_changed", old=self.position.epoch, new=event.epoch)
        self.position.advance(event.stream, event.seq, event.epoch)
        if len(self._recent) == self._recent.maxlen:
            self._seen.discard(self._recent[0])
        self._recent.append(event.id)
        self._seen.add(event.id)
        self.delivered += 1
        try:
            result = self.handler(event)
            if result is not None:
                await result
        except Exception:
            log.exception("client.handler_failed", id=event.id, stream=event.stream)

"""An in-process log for unit tests: same contract, nothing survives the process."""

from __future__ import annotations

from collections.abc import Mapping

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.log.merge import merge_streams


class MemoryLog(MessageLog):
    """Appends never await, so each one is atomic on the event loop without a lock."""

    def __init__(self) -> None:
        self._epoch = new_id()
        self._streams: dict[str, list[MessageEvent]] = {}
        self._by_key: dict[tuple[str, str], MessageEvent] = {}
        self._open = False

    async def start(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False

    async def ping(self) -> None:
        if not self._open:
            raise RuntimeError("MemoryLog is not started")

    async def epoch(self) -> str:
        return self._epoch

    async def append(self, draft: Draft) -> tuple[MessageEvent, bool]:
        key = (draft.sender, draft.client_msg_id)
        existing = self._by_key.get(key)
        if existing is not None:
            return existing, False
        events = self._streams.setdefault(draft.stream, [])
        event = draft.to_event(len(events) + 1, self._epoch)
        events.append(event)
        self._by_key[key] = event
        return event, True

    async def read_after(self, positions: Mapping[str, int], limit: int) -> list[MessageEvent]:
        if limit <= 0:
            return []
        slices = []
        for stream, after in positions.items():
            events = self._streams.get(stream, [])
            start = max(after, 0)
            slices.append(events[start : start + limit])
        return merge_streams(slices, limit)

    async def head(self, stream: str) -> int:
        return len(self._streams.get(stream, []))

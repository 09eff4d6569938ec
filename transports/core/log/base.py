"""The durable message log: the source of truth that makes "no message lost" possible.

Every stream (``lga:{id}``, ``user:{id}``) has contiguous seqs 1, 2, 3... within one epoch. The
epoch is a random id created with the log's storage; a reset storage has a new one, which tells
holders of old cursors to start again. One interface, backends SQLite / Redis (and memory for
unit tests), one contract suite (tests/core/test_log_contract.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from rtspike.transports.core.envelope import MessageEvent


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated, authorized message before the log gives it a seq."""

    id: str
    stream: str
    sender: str
    sender_role: str
    recipient: str | None
    lga_id: str
    body: str
    client_msg_id: str
    sent_at: float
    sent_at_ns: int | None = None

    def to_event(self, seq: int, epoch: str) -> MessageEvent:
        return MessageEvent(
            id=self.id,
            stream=self.stream,
            seq=seq,
            epoch=epoch,
            sender=self.sender,
            sender_role=self.sender_role,
            recipient=self.recipient,
            lga_id=self.lga_id,
            body=self.body,
            client_msg_id=self.client_msg_id,
            sent_at=self.sent_at,
            sent_at_ns=self.sent_at_ns,
        )


class MessageLog(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None: ...

    @abstractmethod
    async def epoch(self) -> str: ...

    @abstractmethod
    async def append(self, draft: Draft) -> tuple[MessageEvent, bool]:
        """Assign the next seq of ``draft.stream`` and store it, atomically. Idempotent on
        (sender, client_msg_id): a repeat returns the stored event and False."""

    @abstractmethod
    async def read_after(self, positions: Mapping[str, int], limit: int) -> list[MessageEvent]:
        """Events with seq > positions[stream] for each given stream, at most ``limit`` in all.
        Each stream's events are in seq order and the result holds a prefix of each stream's
        remainder (so the caller can advance its cursor and ask again); streams are interleaved
        by send time."""

    @abstractmethod
    async def head(self, stream: str) -> int:
        """Highest seq of ``stream`` (0 when empty)."""

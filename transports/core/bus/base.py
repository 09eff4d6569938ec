"""Fan-out between server processes. Not durable by design: the log is the truth, and a
subscriber that misses a publication finds the gap by seq and reads it from the log.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

MESSAGE_TOPIC = "message"
CONTROL_TOPIC = "control"

Handler = Callable[[str, bytes], None]
ReconnectHook = Callable[[], Awaitable[None]]


class Bus(ABC):
    @abstractmethod
    async def start(self, handler: Handler, on_reconnect: ReconnectHook | None = None) -> None:
        """Deliver every publication of every process (this one included) to ``handler``,
        called on the event loop with (topic, data). ``on_reconnect`` runs after the bus
        recovers from an outage, so that the caller can re-read what it may have missed."""

    @abstractmethod
    async def publish(self, topic: str, data: bytes) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None: ...

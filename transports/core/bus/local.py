"""The single-process bus: fan-out without a broker.

Handlers run from ``loop.call_soon``, never inside ``publish``: a publisher that holds state
half-updated (or a handler that publishes) must not re-enter itself.
"""

from __future__ import annotations

import asyncio

from rtspike.transports.core.bus.base import Bus, Handler, ReconnectHook
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.bus")


class LocalHub:
    """What several LocalBus instances share to act like processes on one broker (tests, an
    orchestrator hosting several apps). Each LocalBus gets a private hub by default."""

    def __init__(self) -> None:
        self.members: list[LocalBus] = []


class LocalBus(Bus):
    def __init__(self, hub: LocalHub | None = None) -> None:
        self._hub = hub or LocalHub()
        self._handler: Handler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, handler: Handler, on_reconnect: ReconnectHook | None = None) -> None:
        """``on_reconnect`` is accepted for the interface; an in-process bus has no outages."""
        self._handler = handler
        self._loop = asyncio.get_running_loop()
        if self not in self._hub.members:
            self._hub.members.append(self)

    async def publish(self, topic: str, data: bytes) -> None:
        for member in list(self._hub.members):
            member._deliver(topic, data)

    def _deliver(self, topic: str, data: bytes) -> None:
        loop = self._loop
        if self._handler is None or loop is None or loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            loop.call_soon(self._call, topic, data)
        else:
            loop.call_soon_threadsafe(self._call, topic, data)

    def _call(self, topic: str, data: bytes) -> None:
        handler = self._handler
        if handler is None:
            return
        try:
            handler(topic, data)
        except Exception:
            log.exception("bus.handler_failed", backend="local", topic=topic)

    async def close(self) -> None:
        if self in self._hub.members:
            self._hub.members.remove(self)
        self._handler = None

    async def ping(self) -> None:
        return None

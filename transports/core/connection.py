"""The seam between the hub and every adapter: what a live connection must offer.

An adapter wraps its socket (a python-socketio sid, an SSE response, an aiohttp WebSocket) in an
object with these members and hands it to ``Hub.attach``; from then on the core pushes to it,
paces catch-up on it and closes it without knowing which transport it is.
"""

from __future__ import annotations

from typing import Protocol

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError
from rtspike.transports.core.principal import Principal

__all__ = ["LiveConnection"]


class LiveConnection(Protocol):
    """What an adapter hands the hub. ``push`` must not block: it enqueues (or writes into a
    bounded buffer) and returns False when the connection is over its bound."""

    transport: str
    principal: Principal

    def push(self, event: MessageEvent) -> bool: ...

    async def drain(self) -> None:
        """Return once the connection's outgoing queue has room again (catch-up pacing)."""
        ...

    def close(self, why: AppError) -> None:
        """Tell the client ``why`` (the one close payload), then close with ``why.close_code``;
        idempotent, never blocks."""
        ...

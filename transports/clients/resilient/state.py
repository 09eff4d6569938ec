"""The resilient client's observable state: the four states, every transition with its time,
and the ``on_state(state, info)`` callback a UI banner (or a test) listens to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.resilient")

CONNECTING = "connecting"
CONNECTED = "connected"
DEGRADED = "degraded"
DISCONNECTED = "disconnected"
SETTLED = frozenset({CONNECTED, DEGRADED, DISCONNECTED})

StateCallback = Callable[[str, dict[str, Any]], None]
"""``info`` carries attempt, next_poll_at (epoch seconds or None), last_error, transport."""


class Terminal(Exception):
    """Stop: the server said this client may not connect, and a refresh cannot fix it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class StateTracker:
    def __init__(self, transport: str, on_state: StateCallback | None) -> None:
        self.transport = transport
        self.on_state = on_state
        self.state = DISCONNECTED
        self.transitions: list[tuple[float, str]] = []
        self.last_error: str | None = None
        self.next_poll_at: float | None = None
        self.attempt = 0
        self.settled = asyncio.Event()

    def set(self, state: str, **info: Any) -> None:
        """Record and report a change of state; staying in the same state is not a transition."""
        if state == self.state:
            return
        self.state = state
        self.transitions.append((time.monotonic(), state))
        log.info("client.state", transport=self.transport, state=state, code=self.last_error)
        if state in SETTLED:
            self.settled.set()
        self.notify(**info)

    def notify(self, **info: Any) -> None:
        """Report the current state again, e.g. when the next poll time changes."""
        if self.on_state is None:
            return
        payload = {
            "attempt": self.attempt,
            "next_poll_at": self.next_poll_at,
            "last_error": self.last_error,
            "transport": self.transport,
            **info,
        }
        try:
            self.on_state(self.state, payload)
        except Exception:
            log.exception("client.on_state_failed", transport=self.transport)

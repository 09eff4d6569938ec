"""The resilient client's observable state as data: the four states, the events that move
between them and the one table (``NEXT``) that says where each event leads, every transition
with its time, and the ``on_state(state, info)`` callback a UI banner (or a test) listens to.
``transports/web/src/protocol.js`` holds the same table for the browser client; a test
compares the two."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.resilient")


class State(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"
    DISCONNECTED = "disconnected"


class Event(StrEnum):
    """What happened, as the client loop reports it; ``NEXT`` says which state follows."""

    ATTEMPT = "attempt"  # about to try the transport
    UP = "up"  # a connect succeeded
    DROPPED = "dropped"  # a live connection ended and will be retried
    FALLBACK = "fallback"  # the transport is given up for now: poll REST and probe
    END = "end"  # terminal refusal, stop or crash


# The one state machine. A (state, event) pair missing here is a bug in the client loop.
NEXT: dict[tuple[State, Event], State] = {
    (State.DISCONNECTED, Event.ATTEMPT): State.CONNECTING,
    (State.CONNECTING, Event.ATTEMPT): State.CONNECTING,
    (State.CONNECTING, Event.UP): State.CONNECTED,
    (State.CONNECTING, Event.FALLBACK): State.DEGRADED,
    (State.CONNECTED, Event.DROPPED): State.CONNECTING,
    (State.DEGRADED, Event.ATTEMPT): State.DEGRADED,  # probing keeps polling
    (State.DEGRADED, Event.FALLBACK): State.DEGRADED,
    (State.DEGRADED, Event.UP): State.CONNECTED,
    **{(state, Event.END): State.DISCONNECTED for state in State},
}

TRANSITIONS: dict[State, frozenset[State]] = {
    state: frozenset(t for (s, _), t in NEXT.items() if s is state and t is not state)
    for state in State
}
"""Which states may follow each state (the browser client enforces the same table)."""

SETTLED = frozenset({State.CONNECTED, State.DEGRADED, State.DISCONNECTED})

POLL_SCHEDULE_S = (5.0, 10.0, 30.0, 60.0)
"""Degraded mode's default REST poll delays; the last repeats. protocol.js has the same one."""

StateCallback = Callable[[str, dict[str, Any]], None]
"""``info`` carries attempt, next_poll_at (epoch seconds or None), last_error, transport."""


class IllegalTransition(RtspikeError):
    """The client loop asked for a change of state the table does not allow (a bug)."""


class Terminal(RtspikeError):
    """Stop: the server said this client may not connect, and a refresh cannot fix it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class StateTracker:
    def __init__(self, transport: str, on_state: StateCallback | None) -> None:
        self.transport = transport
        self.on_state = on_state
        self.state = State.DISCONNECTED
        self.transitions: list[tuple[float, State]] = []
        self.last_error: str | None = None
        self.next_poll_at: float | None = None
        self.attempt = 0
        self.settled = asyncio.Event()

    def on(self, event: Event, **info: Any) -> State:
        """Move as ``NEXT`` says for ``event``; returns the new state."""
        nxt = NEXT.get((self.state, event))
        if nxt is None:
            raise IllegalTransition(f"{event.value!r} cannot happen while {self.state.value}")
        self.set(nxt, **info)
        return nxt

    def set(self, state: State, **info: Any) -> None:
        """Record and report a change of state; staying in the same state is not a transition.
        Raises IllegalTransition for a change the table does not allow."""
        state = State(state)
        if state is self.state:
            return
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"{self.state.value} cannot become {state.value}")
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

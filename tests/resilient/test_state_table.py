"""The resilient client's state machine is the table: every transition it lists happens through
``StateTracker``, and every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from rtspike.transports.clients.resilient.state import (
    NEXT,
    TRANSITIONS,
    Event,
    IllegalTransition,
    State,
    StateTracker,
)
from rtspike.transports.core.errors import RtspikeError

ALLOWED = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
REFUSED = [(a, b) for a, b in itertools.permutations(State, 2) if (a, b) not in ALLOWED]


def at(state: State) -> StateTracker:
    tracker = StateTracker("ws", None)
    tracker.state = state
    return tracker


def test_the_table_is_the_one_the_client_loop_needs() -> None:
    assert TRANSITIONS == {
        State.DISCONNECTED: {State.CONNECTING},
        State.CONNECTING: {State.CONNECTED, State.DEGRADED, State.DISCONNECTED},
        State.CONNECTED: {State.CONNECTING, State.DISCONNECTED},
        State.DEGRADED: {State.CONNECTED, State.DISCONNECTED},
    }


@pytest.mark.parametrize(("src", "dst"), REFUSED)
def test_every_illegal_transition_is_refused(src: State, dst: State) -> None:
    tracker = at(src)
    with pytest.raises(IllegalTransition):
        tracker.set(dst)
    assert tracker.state is src and tracker.transitions == []


@pytest.mark.parametrize(("src", "dst"), sorted(ALLOWED))
def test_every_legal_transition_is_recorded_and_reported(src: State, dst: State) -> None:
    seen: list[str] = []
    tracker = StateTracker("ws", lambda state, info: seen.append(state))
    tracker.state = src
    tracker.set(dst)
    assert tracker.state is dst and [s for _, s in tracker.transitions] == [dst]
    assert seen == [dst]


@pytest.mark.parametrize(("src", "event"), [(s, e) for s in State for e in Event])
def test_events_follow_next_or_are_refused(src: State, event: Event) -> None:
    tracker = at(src)
    if (src, event) in NEXT:
        assert tracker.on(event) is NEXT[(src, event)]
    else:
        with pytest.raises(IllegalTransition):
            tracker.on(event)
        assert tracker.state is src


def test_staying_put_is_not_a_transition_and_errors_are_ours() -> None:
    seen: list[str] = []
    tracker = StateTracker("ws", lambda state, info: seen.append(state))
    tracker.set(State.DISCONNECTED)
    assert tracker.transitions == [] and seen == []
    assert issubclass(IllegalTransition, RtspikeError)
    with pytest.raises(ValueError):
        tracker.set("sleeping")  # type: ignore[arg-type]

"""Helpers for the resilient-client tests: a recording handler, an in-process node, a server
run as a real subprocess (so that SIGKILL is a real crash), and a patient sender."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from rtspike.scenarios.processes import ServerProcess
from rtspike.transports import registry
from rtspike.transports.clients.resilient.client import ResilientClient, SessionTokens
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.users import DEV_PASSWORD, seed_users
from tests.conftest import TEST_SECRET
from tests.contract.conftest import Node, contract_settings, start_node

ROOT = Path(__file__).resolve().parents[2]
SUP, ENUM = "sup.lga-01", "enum.lga-01.001"
USERS = {u.login: u for u in seed_users(2, 2)}
ENUM_ID = USERS[ENUM].id


class Inbox:
    """The handler under test: records everything, in the order it was handed over."""

    def __init__(self) -> None:
        self.events: list[MessageEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: MessageEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def bodies(self) -> list[str]:
        return [e.body for e in self.events]

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(self.events)} of {count}: {self.bodies()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def assert_exactly_once_in_order(self, expected: list[str]) -> None:
        """Every expected body once; every stream's seqs contiguous from 1 in handler order."""
        assert sorted(self.bodies()) == sorted(expected), self.bodies()
        assert len({e.id for e in self.events}) == len(self.events), "duplicate delivery"
        by_stream: dict[str, list[int]] = defaultdict(list)
        for event in self.events:
            by_stream[event.stream].append(event.seq)
        for stream, seqs in by_stream.items():
            assert seqs == list(range(1, len(seqs) + 1)), f"{stream} out of order: {seqs}"
        order = {body: i for i, body in enumerate(expected)}
        for stream in by_stream:
            ranks = [order[e.body] for e in self.events if e.stream == stream]
            assert ranks == sorted(ranks), f"{stream}: bodies out of send order"


def message(i: int, prefix: str = "m") -> dict[str, Any]:
    """Alternates team broadcasts and direct messages, so two streams are exercised."""
    body = f"{prefix}{i}"
    if i % 2:
        return {"to": ENUM_ID, "body": body, "client_msg_id": f"{prefix}-{i}"}
    return {"broadcast": True, "body": body, "client_msg_id": f"{prefix}-{i}"}


async def send_patiently(
    send: Callable[[dict[str, Any]], Awaitable[MessageEvent]],
    msg: dict[str, Any],
    timeout: float = 20.0,
) -> tuple[MessageEvent, int]:
    """Retry the SAME message (same client_msg_id) until acknowledged; returns the failures."""
    deadline = time.monotonic() + timeout
    failures = 0
    while True:
        try:
            return await send(msg), failures
        except Exception:
            failures += 1
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def wait_state(client: ResilientClient, state: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while client.state != state:
        if time.monotonic() > deadline:
            raise AssertionError(f"state {client.state!r}, wanted {state!r}: {client.transitions}")
        await asyncio.sleep(0.01)


def states(client: ResilientClient) -> list[str]:
    return [s for _, s in client.transitions]


def resilient(
    url: str, transport: str, login: str, inbox: Any, **kw: Any
) -> tuple[ResilientClient, SessionTokens]:
    margin = kw.pop("refresh_margin_s", 30.0)
    tokens = SessionTokens(url, login, DEV_PASSWORD, refresh_margin_s=margin)
    kw.setdefault("time_scale", 0.02)
    return ResilientClient(url, transport, tokens, inbox, **kw), tokens


@pytest.fixture(params=registry.names())
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def node_factory(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Awaitable[Node]]]:
    nodes: list[Node] = []

    async def make(transport: str, **overrides: Any) -> Node:
        values: dict[str, Any] = {"seed_lgas": 2, "seed_enumerators": 2, **overrides}
        node = await start_node(contract_settings(tmp_path / f"n{len(nodes)}", **values), transport)
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        await node.server.close()


def server_process(transport: str, data_dir: Path) -> ServerProcess:
    """`rtspike serve` in its own process (the shared manager), with the test secret."""
    env = {
        "RTSPIKE_JWT_SECRET": TEST_SECRET,
        "RTSPIKE_SEND_RATE_PER_S": "1000",
        "RTSPIKE_SEND_BURST": "1000",
        "RTSPIKE_SEED_LGAS": "2",
        "RTSPIKE_SEED_ENUMERATORS": "2",
    }
    return ServerProcess(transport, data_dir, env, cwd=ROOT)

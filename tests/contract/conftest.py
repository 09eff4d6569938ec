"""A harness that runs real servers on loopback and real clients of the transport under test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from rtspike.transports import registry
from rtspike.transports.clients.base import RealtimeClient
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.users import DEV_PASSWORD, seed_users
from rtspike.transports.server.app import build_app
from rtspike.transports.server.http import HUB_KEY
from tests.conftest import DEV_TOKEN, TEST_SECRET

LGAS = 3
ENUMERATORS = 4


def contract_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        jwt_secret=TEST_SECRET,
        data_dir=data_dir,
        seed_lgas=LGAS,
        seed_enumerators=ENUMERATORS,
        send_rate_per_s=10_000.0,
        send_burst=10_000,
        keepalive_s=1.0,
        recheck_interval_s=5.0,
        dev_faults_token=DEV_TOKEN,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Recorder:
    """A connected client plus everything it received, in order."""

    client: RealtimeClient
    login: str
    received: list[MessageEvent] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_message(self, event: MessageEvent) -> None:
        self.received.append(event)
        self.latencies.append(time.time() - event.sent_at)
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[MessageEvent]:
        await self.wait_until(lambda: len(self.received) >= count, timeout, f"{count} messages")
        return self.received

    async def wait_until(
        self, done: Callable[[], bool], timeout: float = 5.0, what: str = "the condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.login}: {what} not met in {timeout}s (got {len(self.received)})"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_closed(self, timeout: float) -> int:
        await asyncio.wait_for(self.client.closed.wait(), timeout)
        assert self.client.close_code is not None
        return self.client.close_code

    def bodies(self) -> list[str]:
        return [e.body for e in self.received]


@dataclass
class Node:
    server: TestServer
    hub: Hub

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


class Harness:
    def __init__(self, transport: str, nodes: list[Node]) -> None:
        self.transport = transport
        self.nodes = nodes
        self.http = httpx.AsyncClient(timeout=10.0)
        self.clients: list[RealtimeClient] = []
        self.users = {u.login: u for u in seed_users(LGAS, ENUMERATORS)}

    def url(self, node: int = 0) -> str:
        return self.nodes[node].url

    async def rest(
        self, method: str, path: str, token: str | None = None, node: int = 0, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self.http.request(
            method, f"{self.url(node)}/api/v1{path}", headers=headers, **kw
        )

    async def login(self, login: str, node: int = 0) -> dict[str, Any]:
        resp = await self.rest(
            "POST", "/auth/login", node=node, json={"login": login, "password": DEV_PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def token(self, login: str, node: int = 0) -> str:
        return str((await self.login(login, node))["access_token"])

    def new_client(self, login: str, node: int = 0) -> Recorder:
        cls = registry.client(self.transport)
        rec = Recorder(client=None, login=login)  # type: ignore[arg-type]
        rec.client = cls(self.url(node), on_message=rec.on_message)
        self.clients.append(rec.client)
        return rec

    async def connect(
        self, login: str, token: str | None = None, cursor: str | None = None, node: int = 0
    ) -> Recorder:
        rec = self.new_client(login, node)
        await rec.client.connect(token or await self.token(login, node), cursor)
        return rec

    def user_id(self, login: str) -> str:
        return self.users[login].id

    async def barrier(self, *recs: Recorder, node: int = 0, timeout: float = 5.0) -> None:
        """The positive barrier behind every "nothing else arrived" check.

        The supervisor of each recorder's team broadcasts a marker (over REST, through the same
        ``hub.send``) after everything the test sent. One node dispatches publications in the
        order it sees them into each connection's FIFO, so the marker's arrival proves that
        anything sent earlier had its chance to arrive: a leak or a duplicate would be in
        ``received`` by then. The markers are removed from the recorders afterwards.
        """
        marker = f"barrier-{new_id()}"
        for lga in sorted({self.users[rec.login].lga_id for rec in recs}):
            resp = await self.rest(
                "POST",
                "/messages",
                token=await self.token(f"sup.{lga}", node),
                node=node,
                json={"broadcast": True, "body": marker, "client_msg_id": marker},
            )
            assert resp.status_code == 201, resp.text
        for rec in recs:
            await rec.wait_until(lambda r=rec: marker in r.bodies(), timeout, "the barrier")
            rec.received[:] = [e for e in rec.received if e.body != marker]

    async def aclose(self) -> None:
        for client in self.clients:
            try:
                await asyncio.wait_for(client.close(), 5)
            except Exception:
                pass
        await self.http.aclose()


async def start_node(settings: Settings, transport: str) -> Node:
    app = build_app(settings, [transport])
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return Node(server, app[HUB_KEY])


@pytest.fixture(params=registry.names())
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def running(transport: str, *settings: Settings) -> AsyncIterator[Harness]:
    """A harness over one node per ``settings``; its clients and servers closed afterwards."""
    nodes = [await start_node(s, transport) for s in settings]
    harness = Harness(transport, nodes)
    try:
        yield harness
    finally:
        await harness.aclose()
        for n in nodes:
            await n.server.close()


def redis_nodes(
    tmp_path: Path, redis_url: str, redis_prefix: str, count: int = 2
) -> list[Settings]:
    """Settings of ``count`` nodes sharing store, log and bus on one Redis (own key prefix)."""
    shared = {"store_url": redis_url, "log_url": redis_url, "bus_url": redis_url}
    return [
        contract_settings(
            tmp_path / f"n{i}", **shared, redis_prefix=redis_prefix, node_id=f"node-{i}"
        )
        for i in range(count)
    ]


@pytest.fixture
async def harness(transport: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running(transport, contract_settings(tmp_path / "node0")) as h:
        yield h

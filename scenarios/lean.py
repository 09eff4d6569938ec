"""Receivers for load: lean protocol clients where a client library would be the bottleneck.

Thousands of receivers in one generator process cannot each afford a full client library (an
httpx stream or a ``websockets`` connection with its own keep-alive task per socket, 300
python-socketio AsyncClients saturate a process: loop lag p99 > 250 ms at 3,000 deliveries/s).
So each transport ships a lean receiver (its spec's ``lean_receiver``, in
``transports/<name>/lean.py``) that speaks the wire protocol of DESIGN.md section 3 directly on
one shared aiohttp session; ``receiver(..., lean=False)`` uses the registry client instead.
``client_kind`` says which is used and goes into the manifest.

Every receiver calls ``on_event(fields, recv_ns)`` with the message's fields (``sender``,
``client_msg_id``, ``sent_at_ns``, ``lga_id``, ``recipient``, ``stream``, ``id``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import aiohttp

from rtspike.scenarios.measure import now_ns
from rtspike.transports import registry
from rtspike.transports.clients.lean import EventHandler, RefusedError
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.users import DEV_PASSWORD
from rtspike.transports.spec import resolve

__all__ = [
    "EventHandler",
    "Receiver",
    "RefusedError",
    "RegistryReceiver",
    "client_kind",
    "login",
    "login_many",
    "new_session",
    "receiver",
]


def client_kind(transport: str, lean: bool = True) -> str:
    if lean:
        return registry.spec(transport).lean_kind
    return f"registry client transports.{transport} (registry.client({transport!r}))"


class Receiver(Protocol):
    closed: asyncio.Event

    @property
    def close_code(self) -> int | None: ...

    async def connect(self, token: str) -> None: ...

    async def close(self) -> None: ...


class RegistryReceiver:
    """The transport's own Python client, via the registry (the only way to reach it)."""

    def __init__(self, transport: str, base_url: str, on_event: EventHandler):
        self.on_event = on_event
        self.client = registry.client(transport)(base_url, on_message=self._on)
        self.closed = self.client.closed

    def _on(self, event: MessageEvent) -> None:
        self.on_event(event.__dict__, now_ns())

    @property
    def close_code(self) -> int | None:
        return self.client.close_code

    async def connect(self, token: str) -> None:
        await self.client.connect(token)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()


def receiver(
    transport: str,
    base_url: str,
    session: aiohttp.ClientSession,
    on_event: EventHandler,
    lean: bool = True,
) -> Receiver:
    """The transport's lean receiver (its spec names it), or its registry client."""
    if lean:
        made: Receiver = resolve(registry.spec(transport).lean_receiver)(
            base_url, session, on_event
        )
        return made
    return RegistryReceiver(transport, base_url, on_event)


def new_session(limit: int = 0) -> aiohttp.ClientSession:
    """One session per generator process; no per-host connection cap (one socket per
    receiver is the point)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, force_close=False))


async def login(session: aiohttp.ClientSession, base_url: str, name: str) -> dict[str, Any]:
    """POST /auth/login for a seed user; returns the token pair (with ``user``). A 5xx, a 429
    or a dropped connection (a busy or just-restarted server may drop a request) is retried."""
    attempts = 5
    for attempt in range(attempts):
        try:
            async with session.post(
                f"{base_url}/api/v1/auth/login", json={"login": name, "password": DEV_PASSWORD}
            ) as r:
                if r.status == 200:
                    pair: dict[str, Any] = await r.json()
                    return pair
                if r.status < 500 and r.status != 429:
                    raise RefusedError(f"login {name}: {r.status} {await r.text()}")
        except aiohttp.ClientConnectionError:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(0.2 * (attempt + 1))
    raise RefusedError(f"login {name} failed repeatedly")


async def login_many(
    session: aiohttp.ClientSession, base_url: str, names: list[str], concurrency: int = 16
) -> dict[str, dict[str, Any]]:
    sem = asyncio.Semaphore(concurrency)

    async def one(name: str) -> tuple[str, dict[str, Any]]:
        async with sem:
            return name, await login(session, base_url, name)

    return dict(await asyncio.gather(*(one(n) for n in names)))

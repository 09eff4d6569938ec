"""Receivers for load: lean protocol clients where a client library would be the bottleneck.

Thousands of receivers in one generator process cannot each afford a full client library
(httpx + httpx-sse per SSE stream, a ``websockets`` connection object with its own keep-alive
task per socket). For ws and SSE the generator speaks the wire protocol of DESIGN.md section 3
directly on one shared aiohttp session. For Socket.IO too: 300 python-socketio AsyncClients in one
process saturate it (measured: loop lag p99 > 250 ms at 3,000 deliveries/s), so receivers speak
Engine.IO v4 / Socket.IO v5 over a plain WebSocket (the ``transports=["websocket"]`` path the
registry client also takes). ``client_kind`` says which is used and goes into the manifest.

Every receiver calls ``on_event(fields, recv_ns)`` with the message's fields (``sender``,
``client_msg_id``, ``sent_at_ns``, ``lga_id``, ``recipient``, ``stream``, ``id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from rtspike.scenarios.measure import now_ns
from rtspike.transports import registry
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.users import DEV_PASSWORD
from rtspike.transports.spec import resolve

EventHandler = Callable[[dict[str, Any], int], None]


class RefusedError(Exception):
    """The server refused the connection with a structured error."""


def client_kind(transport: str, lean: bool = True) -> str:
    if lean:
        return registry.spec(transport).lean_kind
    return f"registry client transports.{transport} (registry.client({transport!r}))"


class Receiver(Protocol):
    closed: asyncio.Event

    async def connect(self, token: str) -> None: ...

    async def close(self) -> None: ...


class _LeanSocket:
    """A receiver over one aiohttp WebSocket (raw ws, or Socket.IO's websocket transport)."""

    path = ""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, on_event: EventHandler):
        self.url = base_url.replace("http://", "ws://", 1) + self.path
        self.session = session
        self.on_event = on_event
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
        self.closed.set()


class LeanWs(_LeanSocket):
    path = "/realtime/ws"

    async def connect(self, token: str) -> None:
        ws = await self.session.ws_connect(self.url, compress=0, autoping=True, heartbeat=None)
        await ws.send_str(json.dumps({"type": "auth", "token": token}))
        msg = await ws.receive(timeout=15)
        reply = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {}
        if reply.get("type") != "ready":
            await ws.close()
            raise RefusedError(str(reply.get("error") or msg.type))
        self._ws = ws
        self._task = asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            t = now_ns()
            frame = json.loads(msg.data)
            if frame.get("type") == "message":
                self.on_event(frame["message"], t)
        self.close_code = ws.close_code
        self.closed.set()


class LeanSse:
    def __init__(self, base_url: str, session: aiohttp.ClientSession, on_event: EventHandler):
        self.url = base_url + "/realtime/sse"
        self.session = session
        self.on_event = on_event
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._resp: aiohttp.ClientResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self, token: str) -> None:
        resp = await self.session.get(
            self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=15),
        )
        if resp.status != 200:
            body = await resp.text()
            resp.release()
            raise RefusedError(f"{resp.status}: {body[:200]}")
        await resp.content.readline()
        self._resp = resp
        self._task = asyncio.get_running_loop().create_task(self._read(resp))

    async def _read(self, resp: aiohttp.ClientResponse) -> None:
        event, data = "message", ""
        try:
            async for raw in resp.content:
                line = raw.rstrip(b"\r\n")
                if not line:
                    if data and event == "message":
                        self.on_event(json.loads(data), now_ns())
                    elif data and event == "error":
                        self.close_code = int(json.loads(data).get("close_code") or 0)
                    event, data = "message", ""
                elif line.startswith(b"data:"):
                    data += line[5:].strip().decode()
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
        except (TimeoutError, aiohttp.ClientError):
            pass
        self.closed.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._resp is not None:
            self._resp.close()
        self.closed.set()


class LeanSocketIO(_LeanSocket):
    path = "/socket.io/?EIO=4&transport=websocket"

    async def connect(self, token: str) -> None:
        ws = await self.session.ws_connect(self.url, compress=0, autoping=True, heartbeat=None)
        try:
            opened = await ws.receive(timeout=15)
            if opened.type != aiohttp.WSMsgType.TEXT or not str(opened.data).startswith("0"):
                raise RefusedError(f"no Engine.IO open packet: {opened.type}")
            await ws.send_str("40" + json.dumps({"token": token}))
            while True:
                msg = await ws.receive(timeout=15)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise RefusedError(f"closed during connect: {msg.type}")
                data = str(msg.data)
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("40"):
                    break
                elif data.startswith("44"):
                    raise RefusedError(data[2:200])
        except BaseException:
            await ws.close()
            raise
        self._ws = ws
        self._task = asyncio.get_running_loop().create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            t = now_ns()
            data = str(msg.data)
            if data.startswith("42"):
                name, *args = json.loads(data[2:])
                if name == "message:new" and args:
                    self.on_event(args[0], t)
                elif name == "error" and args and isinstance(args[0], dict):
                    self.close_code = int(args[0].get("close_code") or 0) or None
            elif data == "2":
                await ws.send_str("3")
            elif data.startswith("41") or data == "1":
                break
        self.closed.set()


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
    """POST /auth/login for a seed user; returns the token pair (with ``user``)."""
    for attempt in range(5):
        async with session.post(
            f"{base_url}/api/v1/auth/login", json={"login": name, "password": DEV_PASSWORD}
        ) as r:
            if r.status == 200:
                pair: dict[str, Any] = await r.json()
                return pair
            if r.status < 500 and r.status != 429:
                raise RefusedError(f"login {name}: {r.status} {await r.text()}")
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

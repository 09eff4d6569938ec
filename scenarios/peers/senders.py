"""How the bench-peers worker tells a target to broadcast.

Senders differ by what is measured and nothing else: rtspike's send as one supervisor per room
(so auth, policy and the log are in the path); a baseline is told what to broadcast, with the
same message fields rtspike would send, so both put the same bytes on the same receivers'
sockets. The way up is the transport's (its spec's ``upstream``), for rtspike and its baselines
alike: over the socket, rtspike's registry client and the baseline's control socket; over REST,
one POST per broadcast on the generator's own aiohttp session for both (``RestSender``), so a
ratio does not carry one side's HTTP client library (httpx cost the generator about half of
SSE's measured p99 gap).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from rtspike.scenarios.peers.wire import BROADCAST_PATH, CONTROL_PATH
from rtspike.transports import registry
from rtspike.transports.server.api import MESSAGES_PATH, TRANSPORT_HEADER
from rtspike.transports.spec import Upstream

BODY = "x" * 100


class Sender(Protocol):
    async def connect(self) -> None: ...

    async def send(self, room: int, tag: str, sent_at_ns: int) -> None: ...

    async def close(self) -> None: ...


def rtspike_message(tag: str, sent_at_ns: int) -> dict[str, Any]:
    """What a supervisor sends rtspike (the server adds the rest of the event)."""
    return {"broadcast": True, "body": BODY, "client_msg_id": tag, "sent_at_ns": sent_at_ns}


def peer_message(seq: int, room: str, tag: str, sent_at_ns: int) -> dict[str, Any]:
    """The fields rtspike's MessageEvent carries, at the same sizes."""
    return {
        "id": str(uuid.uuid4()),
        "stream": f"lga:{room}",
        "seq": seq,
        "epoch": "e" + uuid.uuid4().hex[:15],
        "sender": str(uuid.uuid4()),
        "sender_role": "supervisor",
        "recipient": None,
        "lga_id": room,
        "body": BODY,
        "client_msg_id": tag,
        "sent_at": time.time(),
        "sent_at_ns": sent_at_ns,
    }


class RtspikeSender:
    """One registry client per room, logged in as that room's supervisor."""

    def __init__(self, transport: str, base_url: str, tokens: list[str]) -> None:
        self.clients = [registry.client(transport)(base_url, on_message=None) for _ in tokens]
        self.tokens = tokens

    async def connect(self) -> None:
        for c, token in zip(self.clients, self.tokens, strict=True):
            await c.connect(token)

    async def send(self, room: int, tag: str, sent_at_ns: int) -> None:
        await self.clients[room].send(rtspike_message(tag, sent_at_ns))

    async def close(self) -> None:
        for c in self.clients:
            with contextlib.suppress(Exception):
                await c.close()


class PeerSender:
    """The baseline's control socket; replies come back in order, one per broadcast."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, rooms: list[str]) -> None:
        self.url = base_url.replace("http://", "ws://", 1) + CONTROL_PATH
        self.session = session
        self.rooms = rooms
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.seq = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._ws = await self.session.ws_connect(self.url, compress=0, max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read(self._ws))

    async def _read(self, control: aiohttp.ClientWebSocketResponse) -> None:
        async for _ in control:
            if self.waiting:
                self.waiting.popleft().set_result(None)
        while self.waiting:
            self.waiting.popleft().set_exception(ConnectionError("control socket closed"))

    async def send(self, room: int, tag: str, sent_at_ns: int) -> None:
        assert self._ws is not None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(done)
        name = self.rooms[room]
        self.seq += 1
        message = peer_message(self.seq, name, tag, sent_at_ns)
        await self._ws.send_str(json.dumps({"room": name, "message": message}))
        await done

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()


class RestSender:
    """One POST per broadcast on the generator's aiohttp session (the one its receivers use),
    for rtspike's REST upstream and for its baselines' REST twin of the control socket alike:
    same client, same connection reuse, one request in flight per send."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: list[dict[str, str]],
        body: Callable[[int, str, int], dict[str, Any]],
        ok_status: int,
    ) -> None:
        self.session, self.url, self.headers = session, url, headers
        self.body, self.ok_status = body, ok_status

    @classmethod
    def rtspike(
        cls, session: aiohttp.ClientSession, base_url: str, transport: str, tokens: list[str]
    ) -> RestSender:
        """``POST /api/v1/messages`` as each room's supervisor, tagged with the transport."""
        headers = [
            {
                "Authorization": f"Bearer {t}",
                "Content-Type": "application/json",
                TRANSPORT_HEADER: transport,
            }
            for t in tokens
        ]
        return cls(
            session,
            base_url + MESSAGES_PATH,
            headers,
            lambda _room, tag, sent: rtspike_message(tag, sent),
            201,
        )

    @classmethod
    def peer(cls, session: aiohttp.ClientSession, base_url: str, rooms: list[str]) -> RestSender:
        """``POST /peer/broadcast`` with the fields rtspike's event would carry."""
        seq = itertools.count(1)

        def body(room: int, tag: str, sent: int) -> dict[str, Any]:
            name = rooms[room]
            return {"room": name, "message": peer_message(next(seq), name, tag, sent)}

        headers = [{"Content-Type": "application/json"} for _ in rooms]
        return cls(session, base_url + BROADCAST_PATH, headers, body, 200)

    async def connect(self) -> None:
        """Nothing to open: the session's pool opens (and keeps) the connections."""

    async def send(self, room: int, tag: str, sent_at_ns: int) -> None:
        data = json.dumps(self.body(room, tag, sent_at_ns))
        async with self.session.post(self.url, data=data, headers=self.headers[room]) as r:
            await r.read()
            if r.status != self.ok_status:
                raise ConnectionError(f"send refused: {r.status}")

    async def close(self) -> None:
        """The session is the generator's; it closes it."""


async def connected(
    p: dict[str, Any], session: aiohttp.ClientSession, rooms: list[str], sup_tokens: list[str]
) -> Sender:
    """The transport's way up, the same kind for rtspike and its baselines (module docstring)."""
    transport, base_url = p["transport"], p["base_url"]
    sender: Sender
    if registry.spec(transport).upstream is Upstream.REST:
        if p["peer"]:
            sender = RestSender.peer(session, base_url, rooms)
        else:
            sender = RestSender.rtspike(session, base_url, transport, sup_tokens)
    elif p["peer"]:
        sender = PeerSender(base_url, session, rooms)
    else:
        sender = RtspikeSender(transport, base_url, sup_tokens)
    await sender.connect()
    return sender

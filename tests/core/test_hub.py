"""The hub's delivery guarantees with in-memory backends: ordered, gap-free, exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports.core.bus.base import CONTROL_TOPIC, MESSAGE_TOPIC
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.log.base import Draft
from rtspike.transports.core.principal import Principal
from rtspike.transports.core.runtime import build_hub
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.users import DEV_PASSWORD
from tests.conftest import TEST_SECRET


class FakeConn:
    def __init__(self, principal: Principal, capacity: int = 10_000) -> None:
        self.transport = "fake"
        self.principal = principal
        self.events: list[MessageEvent] = []
        self.capacity = capacity
        self.closed: tuple[int, str] | None = None

    def push(self, event: MessageEvent) -> bool:
        self.events.append(event)
        return len(self.events) <= self.capacity

    async def drain(self) -> None:
        await asyncio.sleep(0)

    def close(self, why: AppError) -> None:
        self.closed = (why.close_code, why.message)
        self.ended_by = why

    def seqs(self, stream: str) -> list[int]:
        return [e.seq for e in self.events if e.stream == stream]


def memory_settings(tmp_path: Path, **kw: Any) -> Settings:
    values: dict[str, Any] = dict(
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        store_url="memory://",
        log_url="memory://",
        seed_lgas=2,
        seed_enumerators=3,
        send_rate_per_s=1e6,
        send_burst=1_000_000,
    )
    values.update(kw)
    return Settings(**values)


async def started(settings: Settings) -> Hub:
    hub = build_hub(settings)
    await hub.start()
    return hub


async def principal(hub: Hub, login: str) -> Principal:
    pair = await hub.auth.login(login, DEV_PASSWORD)
    return await hub.authenticate(pair.access_token, "fake")


def bcast(body: str) -> dict[str, Any]:
    return {"broadcast": True, "body": body, "client_msg_id": f"id-{body}"}


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.005)


@pytest.fixture
async def hub(tmp_path: Path) -> Any:
    h = await started(memory_settings(tmp_path))
    yield h
    await h.stop()


async def test_attach_replays_then_goes_live_exactly_once(hub: Hub) -> None:
    sup = await principal(hub, "sup.lga-01")
    enum = await principal(hub, "enum.lga-01.001")
    for i in range(5):
        await hub.send(sup, bcast(f"old{i}"), "fake")
    conn = FakeConn(enum)
    await hub.attach(conn, Cursor(hub.epoch, {"lga:lga-01": 2}))
    await hub.send(sup, bcast("live"), "fake")
    await settle()
    assert [e.body for e in conn.events] == ["old2", "old3", "old4", "live"]


async def test_sends_during_catch_up_are_neither_lost_nor_doubled(hub: Hub) -> None:
    sup = await principal(hub, "sup.lga-01")
    enum = await principal(hub, "enum.lga-01.001")
    for i in range(450):
        await hub.send(sup, bcast(f"a{i}"), "fake")
    conn = FakeConn(enum)
    attach = asyncio.create_task(hub.attach(conn, None))
    for i in range(50):
        await hub.send(sup, bcast(f"b{i}"), "fake")
    await attach
    await settle()
    assert conn.seqs("lga:lga-01") == list(range(1, 501))


async def test_reordered_and_dropped_publications_are_repaired_from_the_log(hub: Hub) -> None:
    enum = await principal(hub, "enum.lga-01.001")
    conn = FakeConn(enum)
    await hub.attach(conn, None)
    await settle()
    events = []
    for i in range(1, 5):
        draft = Draft(
            f"id{i}", "lga:lga-01", "s", "supervisor", None, "lga-01", f"m{i}", f"c{i}", time.time()
        )
        events.append((await hub.log.append(draft))[0])
    hub._on_bus(MESSAGE_TOPIC, events[0].wire().encode())
    hub._on_bus(MESSAGE_TOPIC, events[3].wire().encode())  # 2 and 3 never published
    hub._on_bus(MESSAGE_TOPIC, events[0].wire().encode())  # duplicate
    await settle()
    assert conn.seqs("lga:lga-01") == [1, 2, 3, 4]


async def test_own_publication_is_delivered_as_built_and_a_bus_copy_is_dropped(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    sup = await principal(hub, "sup.lga-01")
    conn = FakeConn(await principal(hub, "enum.lga-01.001"))
    await hub.attach(conn, None)
    parsed: list[bytes] = []
    parse = MessageEvent.from_wire
    monkeypatch.setattr(
        MessageEvent, "from_wire", classmethod(lambda _, raw: parsed.append(raw) or parse(raw))
    )
    sent = await hub.send(sup, bcast("once"), "fake")
    await settle()
    assert len(conn.events) == 1 and conn.events[0] is sent and parsed == [], "not parsed again"
    copy = bytes(bytearray(sent.wire().encode()))
    hub._on_bus(MESSAGE_TOPIC, copy)  # what a networked bus hands back: equal bytes, new object
    await settle()
    assert parsed == [copy] and len(conn.events) == 1, "the copy is read, and dropped by seq"


async def test_other_team_and_direct_messages_are_not_visible(hub: Hub) -> None:
    sup1 = await principal(hub, "sup.lga-01")
    enum1 = await principal(hub, "enum.lga-01.001")
    enum2 = await principal(hub, "enum.lga-01.002")
    other = await principal(hub, "enum.lga-02.001")
    conns = {p.user_id: FakeConn(p) for p in (enum1, enum2, other)}
    for c in conns.values():
        await hub.attach(c, None)
    await hub.send(sup1, {"to": enum1.user_id, "body": "dm", "client_msg_id": "x1"}, "fake")
    await hub.send(sup1, bcast("team"), "fake")
    await settle()
    assert [e.body for e in conns[enum1.user_id].events] == ["dm", "team"]
    assert [e.body for e in conns[enum2.user_id].events] == ["team"]
    assert conns[other.user_id].events == []
    polled, cursor, more = await hub.catch_up(enum2, None)
    assert [e.body for e in polled] == ["team"] and not more
    again, _, _ = await hub.catch_up(enum2, cursor)
    assert again == []


async def test_slow_consumer_is_closed_and_others_unaffected(hub: Hub) -> None:
    sup = await principal(hub, "sup.lga-01")
    slow = FakeConn(await principal(hub, "enum.lga-01.001"), capacity=3)
    fast = FakeConn(await principal(hub, "enum.lga-01.002"))
    await hub.attach(slow, None)
    await hub.attach(fast, None)
    for i in range(10):
        await hub.send(sup, bcast(f"m{i}"), "fake")
    await settle()
    assert slow.closed is not None and slow.closed[0] == 4008
    assert len(fast.events) == 10 and fast.closed is None
    assert hub.connection_count == 1


async def test_logout_and_revoke_all_close_matching_connections(hub: Hub) -> None:
    p1 = await principal(hub, "enum.lga-01.001")
    p1b = await principal(hub, "enum.lga-01.001")
    p2 = await principal(hub, "enum.lga-01.002")
    c1, c1b, c2 = FakeConn(p1), FakeConn(p1b), FakeConn(p2)
    for c in (c1, c1b, c2):
        await hub.attach(c, None)
    await hub.logout(p1)
    await settle()
    assert c1.closed is not None and c1.closed[0] == 4001
    assert c1b.closed is None, "logout of one session closed another session"
    await hub.revoke_all(p1b)
    await settle()
    assert c1b.closed is not None and c1b.closed[0] == 4001
    assert c2.closed is None
    with pytest.raises(AppError) as info:
        await hub.auth.verify_token_full("Bearer junk")
    assert info.value.code == ErrorCode.AUTH_REQUIRED


async def test_bad_control_and_message_publications_are_ignored(hub: Hub) -> None:
    enum = await principal(hub, "enum.lga-01.001")
    conn = FakeConn(enum)
    await hub.attach(conn, None)
    hub._on_bus(MESSAGE_TOPIC, b"{not json")
    hub._on_bus(CONTROL_TOPIC, json.dumps({"kind": "user", "user_id": "nobody"}).encode())
    await settle()
    assert conn.closed is None and hub.connection_count == 1


async def test_token_expiry_closes_the_connection(tmp_path: Path) -> None:
    hub = await started(memory_settings(tmp_path, access_ttl_s=0.3))
    try:
        conn = FakeConn(await principal(hub, "enum.lga-01.001"))
        await hub.attach(conn, None)
        await asyncio.sleep(0.6)
        assert conn.closed is not None and conn.closed[0] == 4001
    finally:
        await hub.stop()


async def test_rate_limit_refuses_floods(tmp_path: Path) -> None:
    hub = await started(memory_settings(tmp_path, send_rate_per_s=1.0, send_burst=3))
    try:
        sup = await principal(hub, "sup.lga-01")
        for i in range(3):
            await hub.send(sup, bcast(f"ok{i}"), "fake")
        with pytest.raises(AppError) as info:
            await hub.send(sup, bcast("flood"), "fake")
        assert info.value.code == ErrorCode.RATE_LIMITED
        assert await hub.log.head("lga:lga-01") == 3
    finally:
        await hub.stop()


async def test_sqlite_restart_keeps_messages_sessions_and_logouts(tmp_path: Path) -> None:
    """Embedded defaults: a restart must not lose messages or forget a logout."""
    settings = Settings(data_dir=tmp_path / "data", seed_lgas=2, seed_enumerators=2)
    hub = await started(settings)
    sup_pair = await hub.auth.login("sup.lga-01", DEV_PASSWORD)
    enum_pair = await hub.auth.login("enum.lga-01.001", DEV_PASSWORD)
    out_pair = await hub.auth.login("enum.lga-01.002", DEV_PASSWORD)
    sup = await hub.authenticate(sup_pair.access_token, "fake")
    enum = await hub.authenticate(enum_pair.access_token, "fake")
    await hub.logout(await hub.authenticate(out_pair.access_token, "fake"))
    for i in range(3):
        await hub.send(sup, bcast(f"before{i}"), "fake")
    _, cursor, _ = await hub.catch_up(enum, None, limit=2)
    await hub.stop()

    hub = await started(Settings(data_dir=tmp_path / "data", seed_lgas=2, seed_enumerators=2))
    try:
        enum = await hub.authenticate(enum_pair.access_token, "fake")
        rest, _, _ = await hub.catch_up(enum, cursor)
        assert [e.body for e in rest] == ["before2"]
        with pytest.raises(AppError) as info:
            await hub.authenticate(out_pair.access_token, "fake")
        assert info.value.code == ErrorCode.TOKEN_REVOKED
        sup = await hub.authenticate(sup_pair.access_token, "fake")
        event = await hub.send(sup, bcast("after"), "fake")
        assert event.seq == 4
    finally:
        await hub.stop()

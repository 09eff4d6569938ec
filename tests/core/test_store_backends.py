"""What only the durable backends promise: state survives a restart, Redis state is shared
between processes (and races between them have one winner), expired SQLite rows get purged."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from rtspike.transports.core.store.base import RefreshUse, Session, Store
from rtspike.transports.core.store.redis import RedisStore
from rtspike.transports.core.store.sqlite import SqliteStore

T0 = float(int(time.time())) + 3600.0  # ahead of the wall clock: collection may be minutes early
SESSION = Session(id="s1", user_id="u1", created_at=T0, last_seen=T0 + 5)


async def _fill(store: Store) -> None:
    await store.blacklist("jti-out", T0 + 600)
    await store.set_revoked_before("u1", T0 + 1.5)
    await store.create_session(SESSION)
    await store.add_refresh("r-used", "s1", T0 + 3600)
    await store.add_refresh("r-fresh", "s1", T0 + 3600)
    assert await store.use_refresh("r-used", T0) == (RefreshUse.OK, "s1")
    await store.put_ticket("t1", "payload", T0 + 30)


async def _check(store: Store) -> None:
    assert await store.is_blacklisted("jti-out", T0 + 1)
    assert await store.revoked_before("u1") == T0 + 1.5
    assert await store.get_session("s1") == SESSION
    assert await store.use_refresh("r-used", T0 + 2) == (RefreshUse.REUSED, "s1")
    assert await store.use_refresh("r-fresh", T0 + 2) == (RefreshUse.OK, "s1")
    assert await store.take_ticket("t1", T0 + 2) == "payload"


async def test_sqlite_state_survives_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'store.db'}"
    first = SqliteStore(url)
    await first.start()
    await _fill(first)
    await first.close()
    second = SqliteStore(url)
    await second.start()
    try:
        await _check(second)
    finally:
        await second.close()


async def test_sqlite_purges_expired_rows_on_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SqliteStore(f"sqlite:///{path}", session_ttl_s=3600, purge_interval_s=0)
    await store.start()
    try:
        await store.blacklist("dead", T0 + 10)
        await store.blacklist("alive", T0 + 9000)
        await store.put_ticket("dead", "p", T0 + 10)
        await store.create_session(Session("old", "u1", T0, T0))
        await store.create_session(Session("new", "u1", T0, T0 + 500))
        await store.add_refresh("dead", "new", T0 + 10)
        await store.add_refresh("alive", "new", T0 + 9000)
        assert await store.take_ticket("missing", T0 + 3700) is None
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        tables = ("store_blacklist", "store_refresh", "store_tickets")
        keys = {t: {r[0] for r in conn.execute(f"SELECT * FROM {t}")} for t in tables}
        sessions = {r[0] for r in conn.execute("SELECT id FROM store_sessions")}
    assert keys == {
        "store_blacklist": {"alive"},
        "store_refresh": {"alive"},
        "store_tickets": set(),
    }
    assert sessions == {"new"}


async def test_sqlite_purge_is_throttled(tmp_path: Path) -> None:
    store = SqliteStore(f"sqlite:///{tmp_path / 'store.db'}", purge_interval_s=3600)
    await store.start()
    try:
        assert await store.take_ticket("x", T0) is None
        await store.blacklist("dead", T0 + 10)
        assert await store.take_ticket("x", T0 + 100) is None
        rows = await store._worker.read(
            lambda c: c.execute("SELECT COUNT(*) FROM store_blacklist").fetchone()
        )
        assert rows == (1,)
        assert not await store.is_blacklisted("dead", T0 + 100)
    finally:
        await store.close()


async def test_sqlite_ping_before_start_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        await SqliteStore(f"sqlite:///{tmp_path / 'store.db'}").ping()


@pytest.mark.redis
async def test_redis_state_survives_a_new_instance(redis_url: str, redis_prefix: str) -> None:
    first = RedisStore(redis_url, prefix=redis_prefix)
    await first.start()
    await _fill(first)
    await first.close()
    second = RedisStore(redis_url, prefix=redis_prefix)
    await second.start()
    try:
        await _check(second)
    finally:
        await second.close()


@pytest.mark.redis
async def test_two_redis_processes_share_state_and_race_fairly(
    redis_url: str, redis_prefix: str
) -> None:
    a, b = RedisStore(redis_url, prefix=redis_prefix), RedisStore(redis_url, prefix=redis_prefix)
    await a.start()
    await b.start()
    try:
        await a.blacklist("j1", T0 + 600)
        assert await b.is_blacklisted("j1", T0)
        await b.set_revoked_before("u1", T0 + 9)
        await a.set_revoked_before("u1", T0 + 3)
        assert await b.revoked_before("u1") == T0 + 9
        await a.create_session(SESSION)
        await b.add_refresh("r1", "s1", T0 + 3600)
        await a.put_ticket("t1", "p", T0 + 30)
        await asyncio.gather(*(s.ping() for s in (a, b) * 10))
        uses = await asyncio.gather(*(s.use_refresh("r1", T0) for s in (a, b) * 10))
        takes = await asyncio.gather(*(s.take_ticket("t1", T0) for s in (a, b) * 10))
        assert uses.count((RefreshUse.OK, "s1")) == 1
        assert uses.count((RefreshUse.REUSED, "s1")) == 19
        assert takes.count("p") == 1 and takes.count(None) == 19
        await b.end_session("s1")
        assert await a.get_session("s1") is None
        assert await a.use_refresh("r1", T0) == (RefreshUse.UNKNOWN, None)
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_redis_keys_are_prefixed_and_expire(redis_url: str, redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix, session_ttl_s=120)
    await store.start()
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        await _fill(store)
        keys = [k async for k in client.scan_iter(match=f"{redis_prefix}*")]
        assert len(keys) == 6
        assert all(k.startswith(f"{redis_prefix}:") for k in keys)
        ttls = {k.split(":")[1]: await client.pttl(k) for k in keys}
        assert ttls.pop("rb") == -1
        assert all(0 < ms <= 2 * 3600_000 + 1000 for ms in ttls.values()), ttls
        assert 0 < await client.ttl(f"{redis_prefix}:sess:s1") <= 120
        await store.blacklist("already-dead", time.time() - 1)
        assert await client.exists(f"{redis_prefix}:bl:already-dead") == 0
    finally:
        await client.aclose()
        await store.close()


async def test_redis_unreachable_fails_start_and_ping() -> None:
    store = RedisStore("redis://127.0.0.1:1/0")
    with pytest.raises(redis.exceptions.ConnectionError):
        await store.start()
    with pytest.raises(RuntimeError):
        await store.ping()

"""One contract for every Store backend: memory, SQLite, Redis.

Times are anchored at the real clock because Redis also expires keys by wall time; expiry is
then exercised through the ``now`` argument, as the auth path does.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rtspike.transports.core.store.base import RefreshUse, Session, Standing, Store, TokenKey
from rtspike.transports.core.store.memory import MemoryStore
from rtspike.transports.core.store.redis import RedisStore
from rtspike.transports.core.store.sqlite import SqliteStore

T0 = float(int(time.time())) + 3600.0  # ahead of the wall clock: collection may be minutes early


def _session(sid: str = "s1", user: str = "u1") -> Session:
    return Session(id=sid, user_id=user, created_at=T0, last_seen=T0)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Sync on purpose: it may pull the async Redis fixtures, which an async fixture cannot."""
    if request.param == "memory":
        return MemoryStore()
    if request.param == "sqlite":
        return SqliteStore(f"sqlite:///{tmp_path / 'store.db'}")
    url = request.getfixturevalue("redis_url")
    return RedisStore(url, prefix=request.getfixturevalue("redis_prefix"))


@pytest.fixture
async def store(backend: Store) -> AsyncIterator[Store]:
    await backend.start()
    try:
        yield backend
    finally:
        await backend.close()


async def test_ping_ok_when_started_and_raises_after_close(store: Store) -> None:
    await store.ping()
    await store.close()
    with pytest.raises(RuntimeError):
        await store.ping()


async def test_blacklist_until_expiry(store: Store) -> None:
    assert not await store.is_blacklisted("j1", T0)
    await store.blacklist("j1", T0 + 100)
    assert await store.is_blacklisted("j1", T0)
    assert await store.is_blacklisted("j1", T0 + 99.5)
    assert not await store.is_blacklisted("j1", T0 + 100)
    assert not await store.is_blacklisted("j1", T0 + 1000)
    assert not await store.is_blacklisted("j2", T0)


async def test_blacklist_is_never_shortened(store: Store) -> None:
    await store.blacklist("j1", T0 + 100)
    await store.blacklist("j1", T0 + 10)
    assert await store.is_blacklisted("j1", T0 + 50)
    await store.blacklist("j1", T0 + 200)
    assert await store.is_blacklisted("j1", T0 + 150)


async def test_revoked_before_defaults_to_zero_and_never_moves_backwards(store: Store) -> None:
    assert await store.revoked_before("u1") == 0.0
    await store.set_revoked_before("u1", T0 + 10.25)
    assert await store.revoked_before("u1") == T0 + 10.25
    await store.set_revoked_before("u1", T0)
    assert await store.revoked_before("u1") == T0 + 10.25
    await store.set_revoked_before("u1", T0 + 20)
    assert await store.revoked_before("u1") == T0 + 20
    assert await store.revoked_before("u2") == 0.0


async def test_concurrent_revocations_keep_the_max(store: Store) -> None:
    stamps = [T0 + i for i in range(20)]
    random.Random(7).shuffle(stamps)
    await asyncio.gather(*(store.set_revoked_before("u1", ts) for ts in stamps))
    assert await store.revoked_before("u1") == T0 + 19


async def test_session_lifecycle(store: Store) -> None:
    assert await store.get_session("s1") is None
    await store.create_session(_session())
    assert await store.get_session("s1") == _session()
    await store.touch_session("s1", T0 + 30)
    touched = await store.get_session("s1")
    assert touched is not None
    assert (touched.user_id, touched.created_at, touched.last_seen) == ("u1", T0, T0 + 30)
    await store.touch_session("s1", T0 + 5)
    assert (await store.get_session("s1")) == touched
    await store.end_session("s1")
    assert await store.get_session("s1") is None
    await store.end_session("s1")


async def test_touch_does_not_create_a_session(store: Store) -> None:
    await store.touch_session("ghost", T0)
    assert await store.get_session("ghost") is None


async def test_standings_answer_each_token_like_the_single_lookups(store: Store) -> None:
    await store.create_session(_session("s1", "u1"))
    await store.create_session(_session("s2", "u2"))
    await store.blacklist("j-out", T0 + 100)
    await store.blacklist("j-old", T0 - 1)  # expired by the caller's clock
    await store.set_revoked_before("u2", T0 + 7.5)
    keys = [
        TokenKey("j1", "u1", "s1"),
        TokenKey("j-out", "u1", "s1"),
        TokenKey("j-old", "u2", "s2"),
        TokenKey("j2", "u3", "gone"),
        TokenKey("j1", "u1", "s1"),  # asked twice: answered twice, in place
    ]
    got = await store.standings(keys, T0)
    assert got == [
        Standing(False, 0.0, _session("s1", "u1")),
        Standing(True, 0.0, _session("s1", "u1")),
        Standing(False, T0 + 7.5, _session("s2", "u2")),
        Standing(False, 0.0, None),
        Standing(False, 0.0, _session("s1", "u1")),
    ]
    for key, standing in zip(keys, got, strict=True):
        assert standing == Standing(
            await store.is_blacklisted(key.jti, T0),
            await store.revoked_before(key.user_id),
            await store.get_session(key.session_id),
        )
    assert await store.standings([], T0) == []


async def test_standings_of_more_tokens_than_one_query_takes(store: Store) -> None:
    for i in range(0, 1200, 7):
        await store.create_session(_session(f"s{i}", f"u{i}"))
    got = await store.standings([TokenKey(f"j{i}", f"u{i}", f"s{i}") for i in range(1200)], T0)
    assert [g.session is not None for g in got] == [i % 7 == 0 for i in range(1200)]


async def test_touch_sessions_moves_each_forward_only_and_creates_none(store: Store) -> None:
    await store.create_session(_session("s1"))
    await store.create_session(Session("s2", "u2", T0, T0 + 50))
    await store.touch_sessions(["s1", "s2", "ghost"], T0 + 30)
    assert (await store.get_session("s1")) == Session("s1", "u1", T0, T0 + 30)
    assert (await store.get_session("s2")) == Session("s2", "u2", T0, T0 + 50)
    assert await store.get_session("ghost") is None
    await store.touch_sessions([], T0 + 40)


async def test_refresh_ok_once_then_reused(store: Store) -> None:
    await store.create_session(_session())
    await store.add_refresh("r1", "s1", T0 + 3600)
    assert await store.use_refresh("r1", T0) == (RefreshUse.OK, "s1")
    assert await store.use_refresh("r1", T0 + 1) == (RefreshUse.REUSED, "s1")
    assert await store.use_refresh("r1", T0 + 2) == (RefreshUse.REUSED, "s1")


async def test_refresh_rotation_chain_detects_replay_of_an_old_token(store: Store) -> None:
    await store.create_session(_session())
    await store.add_refresh("r1", "s1", T0 + 3600)
    assert await store.use_refresh("r1", T0) == (RefreshUse.OK, "s1")
    await store.add_refresh("r2", "s1", T0 + 3600)
    assert await store.use_refresh("r2", T0 + 10) == (RefreshUse.OK, "s1")
    assert await store.use_refresh("r1", T0 + 20) == (RefreshUse.REUSED, "s1")
    await store.end_session("s1")
    assert await store.use_refresh("r1", T0 + 21) == (RefreshUse.UNKNOWN, None)
    assert await store.use_refresh("r2", T0 + 21) == (RefreshUse.UNKNOWN, None)


async def test_refresh_unknown_when_never_issued_or_expired(store: Store) -> None:
    await store.create_session(_session())
    assert await store.use_refresh("nope", T0) == (RefreshUse.UNKNOWN, None)
    await store.add_refresh("r1", "s1", T0 + 60)
    assert await store.use_refresh("r1", T0 + 60) == (RefreshUse.UNKNOWN, None)
    await store.add_refresh("r2", "s1", T0 + 60)
    assert await store.use_refresh("r2", T0) == (RefreshUse.OK, "s1")
    assert await store.use_refresh("r2", T0 + 61) == (RefreshUse.UNKNOWN, None)


async def test_end_session_kills_only_its_own_refresh_tokens(store: Store) -> None:
    await store.create_session(_session("s1"))
    await store.create_session(_session("s2"))
    await store.add_refresh("a", "s1", T0 + 3600)
    await store.add_refresh("b", "s1", T0 + 3600)
    await store.add_refresh("c", "s2", T0 + 3600)
    assert await store.use_refresh("a", T0) == (RefreshUse.OK, "s1")
    await store.end_session("s1")
    assert await store.use_refresh("a", T0) == (RefreshUse.UNKNOWN, None)
    assert await store.use_refresh("b", T0) == (RefreshUse.UNKNOWN, None)
    assert await store.use_refresh("c", T0) == (RefreshUse.OK, "s2")


async def _open_many_connections(store: Store) -> None:
    """Without this a pooled client dials one connection at a time, which serialises the calls
    and would let a non-atomic check-then-mark pass."""
    await asyncio.gather(*(store.ping() for _ in range(20)))


async def test_concurrent_refresh_has_exactly_one_winner(store: Store) -> None:
    await _open_many_connections(store)
    await store.create_session(_session())
    await store.add_refresh("r1", "s1", T0 + 3600)
    results = await asyncio.gather(*(store.use_refresh("r1", T0) for _ in range(20)))
    assert results.count((RefreshUse.OK, "s1")) == 1
    assert results.count((RefreshUse.REUSED, "s1")) == 19


async def test_ticket_taken_once(store: Store) -> None:
    payload = '{"sub": "u1", "note": "a|b\\nc é"}'
    await store.put_ticket("t1", payload, T0 + 30)
    assert await store.take_ticket("other", T0) is None
    assert await store.take_ticket("t1", T0 + 1) == payload
    assert await store.take_ticket("t1", T0 + 2) is None


async def test_expired_ticket_is_refused(store: Store) -> None:
    await store.put_ticket("t1", "p", T0 + 30)
    assert await store.take_ticket("t1", T0 + 30) is None
    await store.put_ticket("t2", "p", T0 + 30)
    assert await store.take_ticket("t2", T0 + 29.9) == "p"


async def test_concurrent_ticket_take_has_exactly_one_winner(store: Store) -> None:
    await _open_many_connections(store)
    await store.put_ticket("t1", "payload", T0 + 30)
    results = await asyncio.gather(*(store.take_ticket("t1", T0) for _ in range(20)))
    assert results.count("payload") == 1
    assert results.count(None) == 19

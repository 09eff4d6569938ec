"""One contract for every MessageLog backend: memory, SQLite, Redis."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.log.memory import MemoryLog
from rtspike.transports.core.log.redis import RedisLog
from rtspike.transports.core.log.sqlite import SqliteLog
from rtspike.transports.core.redis_keys import delete_prefix

T0 = 1_767_225_600.123456
_counter = itertools.count(1)


def draft(
    stream: str = "lga:1",
    sender: str = "sup-1",
    cmid: str | None = None,
    sent_at: float | None = None,
    body: str = "hello",
) -> Draft:
    n = next(_counter)
    return Draft(
        id=new_id(),
        stream=stream,
        sender=sender,
        sender_role="supervisor",
        recipient=stream.removeprefix("user:") if stream.startswith("user:") else None,
        lga_id="1",
        body=body,
        client_msg_id=cmid or f"c-{n}",
        sent_at=sent_at if sent_at is not None else T0 + n / 1000,
        sent_at_ns=2**62 + n,
    )


Opener = Callable[[], Awaitable[MessageLog]]


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, str]:
    """(kind, url, redis prefix). Sync: async fixtures cannot resolve async fixtures lazily."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return "redis", url, request.getfixturevalue("redis_prefix")
    return request.param, f"sqlite:///{tmp_path / 'data' / 'log.db'}", ""


@pytest.fixture
async def opener(backend: tuple[str, str, str]) -> AsyncIterator[Opener]:
    """Opens (and later closes) logs over ONE storage: a second open is a restart."""
    kind, url, prefix = backend
    memory = MemoryLog()
    opened: list[MessageLog] = []

    async def open_log() -> MessageLog:
        log: MessageLog
        if kind == "memory":
            log = memory
        elif kind == "sqlite":
            log = SqliteLog(url)
        else:
            log = RedisLog(url, prefix=prefix)
        await log.start()
        opened.append(log)
        return log

    open_log.kind = kind  # type: ignore[attr-defined]
    yield open_log
    for log in opened:
        await log.close()


@pytest.fixture
async def log(opener: Opener) -> MessageLog:
    return await opener()


def dump(events: list[MessageEvent]) -> list[dict[str, object]]:
    """Compare by content: pydantic equality also compares the cached wire JSON."""
    return [e.model_dump() for e in events]


def seqs(events: list[MessageEvent], stream: str) -> list[int]:
    return [e.seq for e in events if e.stream == stream]


async def test_seqs_are_contiguous_per_stream_from_one(log: MessageLog) -> None:
    epoch = await log.epoch()
    assert epoch
    made = []
    for stream in ["lga:1", "user:a", "lga:1", "lga:1", "user:a", "lga:2"]:
        d = draft(stream)
        event, created = await log.append(d)
        assert created
        assert event.model_dump() == d.to_event(event.seq, epoch).model_dump()
        made.append(event)
    assert [e.seq for e in made] == [1, 1, 2, 3, 2, 1]
    assert made[1].recipient == "a"
    assert made[0].sent_at_ns is not None and made[0].sent_at_ns > 2**62
    assert (await log.head("lga:1"), await log.head("user:a"), await log.head("lga:2")) == (3, 2, 1)
    assert await log.head("lga:404") == 0


async def test_append_is_idempotent_on_sender_and_client_msg_id(log: MessageLog) -> None:
    first, created = await log.append(draft("lga:1", sender="u1", cmid="m-1", body="one"))
    assert created and first.seq == 1
    retry = draft("lga:1", sender="u1", cmid="m-1", body="changed on retry")
    again, created_again = await log.append(retry)
    assert not created_again
    assert again.model_dump() == first.model_dump()
    assert again.body == "one" and again.id == first.id
    assert await log.head("lga:1") == 1

    other, created_other = await log.append(draft("lga:1", sender="u2", cmid="m-1"))
    assert created_other and other.seq == 2 and other.id != first.id
    stored = await log.read_after({"lga:1": 0}, 10)
    assert [e.id for e in stored] == [first.id, other.id]


async def test_read_after_respects_positions_and_interleaves_by_send_time(
    log: MessageLog,
) -> None:
    a = [await log.append(draft("lga:1", sent_at=T0 + t)) for t in (1, 3, 5, 7, 9)]
    b = [await log.append(draft("user:x", sent_at=T0 + t)) for t in (2, 4, 6)]
    everything = await log.read_after({"lga:1": 0, "user:x": 0}, 100)
    assert [e.sent_at - T0 for e in everything] == pytest.approx([1, 2, 3, 4, 5, 6, 7, 9])
    assert dump(everything) == dump(sorted([e for e, _ in a + b], key=lambda e: e.sent_at))

    later = await log.read_after({"lga:1": 2, "user:x": 3}, 100)
    assert [(e.stream, e.seq) for e in later] == [("lga:1", 3), ("lga:1", 4), ("lga:1", 5)]
    assert await log.read_after({"lga:1": 5}, 10) == []
    assert await log.read_after({"lga:9": 0}, 10) == []
    assert await log.read_after({}, 10) == []
    assert await log.read_after({"lga:1": 0}, 0) == []
    only_a = await log.read_after({"lga:1": 0}, 3)
    assert seqs(only_a, "lga:1") == [1, 2, 3]


async def test_any_limit_returns_a_prefix_of_every_stream(log: MessageLog) -> None:
    """Concurrent senders can make a later seq carry an earlier send time; the cut must still
    leave no hole in any stream."""
    for stream, times in {"lga:1": (10, 5, 1, 8), "user:x": (7, 2, 9), "user:y": (3,)}.items():
        for t in times:
            await log.append(draft(stream, sent_at=T0 + t))
    heads = {"lga:1": 4, "user:x": 3, "user:y": 1}
    for start in [{"lga:1": 0, "user:x": 0, "user:y": 0}, {"lga:1": 1, "user:x": 2, "user:y": 0}]:
        for limit in range(1, 10):
            got = await log.read_after(start, limit)
            assert len(got) == min(limit, sum(heads[s] - start[s] for s in heads))
            for stream, after in start.items():
                mine = seqs(got, stream)
                assert mine == list(range(after + 1, after + 1 + len(mine)))


async def test_paging_by_cursor_sees_everything_exactly_once(log: MessageLog) -> None:
    for i in range(7):
        await log.append(draft("lga:1" if i % 3 else "user:z", sent_at=T0 + (i * 7) % 5))
    positions = {"lga:1": 0, "user:z": 0}
    seen: list[tuple[str, int]] = []
    for _ in range(10):
        page = await log.read_after(positions, 2)
        if not page:
            break
        for event in page:
            seen.append((event.stream, event.seq))
            positions[event.stream] = event.seq
    assert sorted(seen) == [("lga:1", n) for n in range(1, 5)] + [("user:z", n) for n in (1, 2, 3)]
    assert len(seen) == len(set(seen))


async def test_concurrent_appends_get_unique_contiguous_seqs(log: MessageLog) -> None:
    results = await asyncio.gather(*(log.append(draft("lga:7")) for _ in range(200)))
    assert all(created for _, created in results)
    assert sorted(e.seq for e, _ in results) == list(range(1, 201))
    stored = await log.read_after({"lga:7": 0}, 500)
    assert [e.seq for e in stored] == list(range(1, 201))
    assert {e.id for e in stored} == {e.id for e, _ in results}
    assert await log.head("lga:7") == 200


async def test_ping_raises_after_close(log: MessageLog) -> None:
    await log.ping()
    await log.close()
    with pytest.raises(RuntimeError):
        await log.ping()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)], indirect=True
)
async def test_epoch_and_events_survive_a_restart(opener: Opener) -> None:
    """Persistent backends only: the memory log lives and dies with its process."""
    first = await opener()
    epoch = await first.epoch()
    appended = [
        (await first.append(draft("lga:1", sender="u1", cmid=f"k{i}")))[0] for i in range(3)
    ]
    await first.close()

    second = await opener()
    assert await second.epoch() == epoch
    assert await second.head("lga:1") == 3
    assert dump(await second.read_after({"lga:1": 0}, 10)) == dump(appended)
    replay, created = await second.append(draft("lga:1", sender="u1", cmid="k1"))
    assert not created and replay.model_dump() == appended[1].model_dump()
    fourth, created = await second.append(draft("lga:1"))
    assert created and fourth.seq == 4 and fourth.epoch == epoch


async def test_memory_epochs_are_random() -> None:
    assert await MemoryLog().epoch() != await MemoryLog().epoch()


@pytest.mark.redis
async def test_redis_two_instances_share_one_contiguous_sequence(
    redis_url: str, redis_prefix: str
) -> None:
    one, two = RedisLog(redis_url, redis_prefix), RedisLog(redis_url, redis_prefix)
    await one.start()
    await two.start()
    try:
        assert await one.epoch() == await two.epoch()
        results = await asyncio.gather(
            *(log.append(draft("lga:3")) for _ in range(100) for log in (one, two))
        )
        assert sorted(e.seq for e, _ in results) == list(range(1, 201))
        stored = await two.read_after({"lga:3": 0}, 1000)
        assert [e.seq for e in stored] == list(range(1, 201))
    finally:
        await one.close()
        await two.close()


async def _wipe(redis_url: str, prefix: str) -> int:
    """What a Redis restart without persistence does to this log's keys."""
    return await delete_prefix(redis_url, f"{prefix}:")


@pytest.mark.redis
async def test_redis_reset_starts_a_new_epoch_noticed_by_append(
    redis_url: str, redis_prefix: str
) -> None:
    log = RedisLog(redis_url, redis_prefix)
    await log.start()
    try:
        old = await log.epoch()
        for _ in range(3):
            await log.append(draft("lga:1", sender="u1", cmid="same") if _ == 0 else draft())
        assert await _wipe(redis_url, redis_prefix) > 0

        event, created = await log.append(draft("lga:1", sender="u1", cmid="same"))
        assert created and event.seq == 1
        assert event.epoch != old
        assert await log.epoch() == event.epoch
        assert dump(await log.read_after({"lga:1": 0}, 10)) == dump([event])
    finally:
        await log.close()


@pytest.mark.redis
async def test_redis_reset_is_visible_through_epoch_before_any_append(
    redis_url: str, redis_prefix: str
) -> None:
    log = RedisLog(redis_url, redis_prefix)
    await log.start()
    try:
        old = await log.epoch()
        await log.append(draft())
        await _wipe(redis_url, redis_prefix)
        fresh = await log.epoch()
        assert fresh != old
        event, _ = await log.append(draft())
        assert (event.seq, event.epoch) == (1, fresh)
    finally:
        await log.close()


@pytest.mark.redis
async def test_redis_keys_stay_under_the_prefix(redis_url: str, redis_prefix: str) -> None:
    log = RedisLog(redis_url, redis_prefix)
    await log.start()
    try:
        await log.append(draft("user:q", sender="u1", cmid="x"))
    finally:
        await log.close()
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        keys = {k async for k in client.scan_iter(match=f"{redis_prefix}:*")}
    finally:
        await client.aclose()
    p = redis_prefix
    assert keys == {f"{p}:epoch", f"{p}:seq:user:q", f"{p}:log:user:q", f"{p}:idem:u1:x"}


@pytest.mark.redis
async def test_redis_reloads_a_script_missing_from_the_server_cache(
    redis_url: str, redis_prefix: str
) -> None:
    """What a Redis restart does to EVALSHA; simulated with an unknown sha so that the shared
    server's script cache is left alone."""
    log = RedisLog(redis_url, redis_prefix)
    await log.start()
    try:
        real_sha = log._script.sha
        log._script.sha = "0" * 40
        results = await asyncio.gather(*(log.append(draft("lga:5")) for _ in range(20)))
        assert sorted(e.seq for e, _ in results) == list(range(1, 21))
        assert log._script.sha == real_sha
    finally:
        await log.close()


async def test_redis_append_fails_loudly_when_unreachable() -> None:
    log = RedisLog("redis://127.0.0.1:1/0", "nowhere")
    try:
        with pytest.raises(RedisConnectionError):
            await log.start()
        with pytest.raises(RedisConnectionError):
            await log.append(draft())
    finally:
        await log.close()
    with pytest.raises(RuntimeError):
        await log.append(draft())

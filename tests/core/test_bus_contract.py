"""One contract for every Bus backend: local (in-process) and Redis pub/sub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from structlog.testing import capture_logs

from rtspike.transports.core.bus.base import (
    CONTROL_TOPIC,
    MESSAGE_TOPIC,
    Bus,
    Handler,
    ReconnectHook,
)
from rtspike.transports.core.bus.local import LocalBus, LocalHub
from rtspike.transports.core.bus.redis import RedisBus


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    def __call__(self, topic: str, data: bytes) -> None:
        self.got.append((topic, data))


async def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5.0
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


StartBus = Callable[..., Awaitable[tuple[Bus, Inbox]]]


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    """(kind, url, prefix). Sync: async fixtures cannot resolve async fixtures lazily."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return "redis", url, request.getfixturevalue("redis_prefix")
    return "local", "", ""


@pytest.fixture
async def start_bus(backend: tuple[str, str, str]) -> AsyncIterator[StartBus]:
    """Each call is one more 'process' on the same broker (a shared hub for local)."""
    kind, url, prefix = backend
    hub = LocalHub()
    buses: list[Bus] = []

    async def start(
        on_reconnect: ReconnectHook | None = None, handler: Handler | None = None
    ) -> tuple[Bus, Inbox]:
        bus: Bus = LocalBus(hub) if kind == "local" else RedisBus(url, prefix)
        inbox = Inbox()
        await bus.start(handler or inbox, on_reconnect)
        buses.append(bus)
        return bus, inbox

    yield start
    for bus in buses:
        await bus.close()


async def test_every_started_instance_receives_every_publication(start_bus: StartBus) -> None:
    a, inbox_a = await start_bus()
    b, inbox_b = await start_bus()
    await a.ping()
    await a.publish(MESSAGE_TOPIC, b"from-a")
    await b.publish(CONTROL_TOPIC, b"from-b")
    expected = [(MESSAGE_TOPIC, b"from-a"), (CONTROL_TOPIC, b"from-b")]
    await eventually(lambda: len(inbox_a.got) == 2 and len(inbox_b.got) == 2)
    assert inbox_a.got == expected
    assert inbox_b.got == expected


async def test_topic_and_bytes_are_preserved(start_bus: StartBus) -> None:
    a, inbox = await start_bus()
    sent = [
        ("message", b'{"seq":1}'),
        ("a:b:c", b"\x00\xff\x80binary\r\n"),
        ("control", b""),
        ("message", "h\u00e9llo \u2603".encode()),
    ]
    for topic, data in sent:
        await a.publish(topic, data)
    await eventually(lambda: len(inbox.got) == len(sent))
    assert inbox.got == sent
    assert all(isinstance(data, bytes) for _, data in inbox.got)


async def test_order_is_preserved_for_one_publisher(start_bus: StartBus) -> None:
    a, inbox_a = await start_bus()
    _, inbox_b = await start_bus()
    for i in range(300):
        await a.publish(MESSAGE_TOPIC, str(i).encode())
    expected = [(MESSAGE_TOPIC, str(i).encode()) for i in range(300)]
    await eventually(lambda: len(inbox_a.got) == 300 and len(inbox_b.got) == 300)
    assert inbox_a.got == expected
    assert inbox_b.got == expected


async def test_closed_instance_stops_receiving(start_bus: StartBus) -> None:
    a, inbox_a = await start_bus()
    b, inbox_b = await start_bus()
    await b.close()
    await a.publish(MESSAGE_TOPIC, b"after-close")
    await eventually(lambda: inbox_a.got == [(MESSAGE_TOPIC, b"after-close")])
    await asyncio.sleep(0.1)
    assert inbox_b.got == []


async def test_a_failing_handler_does_not_stop_delivery(start_bus: StartBus) -> None:
    a, inbox = await start_bus()
    inner = Inbox()

    def flaky(topic: str, data: bytes) -> None:
        if data == b"boom":
            raise ValueError("handler bug")
        inner(topic, data)

    await start_bus(handler=flaky)
    await a.publish(MESSAGE_TOPIC, b"boom")
    await a.publish(MESSAGE_TOPIC, b"fine")
    await eventually(lambda: inner.got == [(MESSAGE_TOPIC, b"fine")])
    assert inbox.got == [(MESSAGE_TOPIC, b"boom"), (MESSAGE_TOPIC, b"fine")]


async def test_local_delivery_is_never_reentrant() -> None:
    bus = LocalBus()
    inbox = Inbox()
    await bus.start(inbox)
    await bus.publish(MESSAGE_TOPIC, b"x")
    assert inbox.got == []
    await asyncio.sleep(0)
    assert inbox.got == [(MESSAGE_TOPIC, b"x")]
    await bus.close()


async def test_local_buses_without_a_shared_hub_are_isolated() -> None:
    one, two = LocalBus(), LocalBus()
    inbox_one, inbox_two = Inbox(), Inbox()
    await one.start(inbox_one)
    await two.start(inbox_two)
    await one.publish(MESSAGE_TOPIC, b"mine")
    await asyncio.sleep(0.01)
    assert (inbox_one.got, inbox_two.got) == ([(MESSAGE_TOPIC, b"mine")], [])


@pytest.mark.redis
async def test_redis_prefixes_are_isolated(redis_url: str, redis_prefix: str) -> None:
    mine, other = RedisBus(redis_url, redis_prefix), RedisBus(redis_url, redis_prefix + "-x")
    inbox_mine, inbox_other = Inbox(), Inbox()
    await mine.start(inbox_mine)
    await other.start(inbox_other)
    try:
        await mine.publish(MESSAGE_TOPIC, b"only-mine")
        await eventually(lambda: inbox_mine.got == [(MESSAGE_TOPIC, b"only-mine")])
        await asyncio.sleep(0.1)
        assert inbox_other.got == []
    finally:
        await mine.close()
        await other.close()


async def _kill_listener(redis_url: str, client_name: str) -> None:
    admin = aioredis.from_url(redis_url)
    try:
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == client_name]
        assert len(ids) == 1, ids
        assert await admin.client_kill_filter(_id=ids[0]) == 1
    finally:
        await admin.aclose()


@pytest.mark.redis
async def test_redis_bus_recovers_after_its_connection_is_killed(
    redis_url: str, redis_prefix: str
) -> None:
    reconnects = 0

    async def on_reconnect() -> None:
        nonlocal reconnects
        reconnects += 1

    bus = RedisBus(redis_url, redis_prefix)
    inbox = Inbox()
    await bus.start(inbox, on_reconnect)
    publisher = RedisBus(redis_url, redis_prefix)
    try:
        await publisher.publish(MESSAGE_TOPIC, b"before")
        await eventually(lambda: inbox.got == [(MESSAGE_TOPIC, b"before")])
        with capture_logs() as logs:
            await _kill_listener(redis_url, bus.client_name)
            await eventually(lambda: reconnects == 1)
            await _kill_listener(redis_url, bus.client_name)
            await eventually(lambda: reconnects == 2)
        assert [e["event"] for e in logs].count("bus.reconnected") == 2
        assert "bus.disconnected" in [e["event"] for e in logs]
        await publisher.publish(MESSAGE_TOPIC, b"after")
        await eventually(lambda: inbox.got[-1:] == [(MESSAGE_TOPIC, b"after")])
        assert inbox.got == [(MESSAGE_TOPIC, b"before"), (MESSAGE_TOPIC, b"after")]
    finally:
        await bus.close()
        await publisher.close()


async def test_redis_publish_and_start_fail_loudly_when_unreachable() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", "nowhere")
    try:
        with pytest.raises(RedisConnectionError):
            await bus.publish(MESSAGE_TOPIC, b"lost")
        with pytest.raises(RedisConnectionError):
            await bus.start(Inbox())
    finally:
        await bus.close()

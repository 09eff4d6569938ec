"""Fan-out between server processes over Redis pub/sub.

One PSUBSCRIBE listener per instance, and its own reconnect loop rather than redis-py's silent
resubscribe: the caller must learn about every outage (``on_reconnect``), because publications
sent meanwhile are gone and only the log can fill that gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rtspike.transports.core.bus.base import Bus, Handler, ReconnectHook
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.bus")

_MIN_DELAY = 0.1
_MAX_DELAY = 2.0
_SUBSCRIBE_TIMEOUT = 2.0


class RedisBus(Bus):
    def __init__(self, url: str, prefix: str = "rtspike") -> None:
        self._prefix = prefix
        self._channel_prefix = f"{prefix}:bus:"
        self._pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + ":bus:*"
        self.client_name = f"{prefix}:bus:{new_id()}"
        """CLIENT SETNAME of the listener connection, so an operator (or a test) can find it."""
        self._publisher = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool.from_url(
                url,
                max_connections=32,
                timeout=5,
                socket_connect_timeout=2.0,
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                retry_on_error=[RedisConnectionError, RedisTimeoutError],
            )
        )
        self._listener = aioredis.from_url(
            url,
            socket_connect_timeout=2.0,
            socket_keepalive=True,
            health_check_interval=10,
            client_name=self.client_name,
            retry=Retry(NoBackoff(), 0, supported_errors=()),
        )
        self._handler: Handler | None = None
        self._on_reconnect: ReconnectHook | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, handler: Handler, on_reconnect: ReconnectHook | None = None) -> None:
        """Returns once subscribed, so a publication made right after is delivered."""
        self._handler = handler
        self._on_reconnect = on_reconnect
        pubsub = await self._subscribe()
        self._task = asyncio.create_task(self._run(pubsub), name=f"redis-bus:{self._prefix}")

    async def publish(self, topic: str, data: bytes) -> None:
        """Raises when Redis is unreachable: the message is already in the log, and the caller
        decides what an undelivered fan-out means."""
        await self._publisher.publish(self._channel_prefix + topic, data)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._listener.aclose()
        await self._publisher.aclose()

    async def ping(self) -> None:
        await self._publisher.ping()

    async def _subscribe(self) -> PubSub:
        pubsub = self._listener.pubsub()
        try:
            await pubsub.psubscribe(self._pattern)
            confirmed = await pubsub.get_message(timeout=_SUBSCRIBE_TIMEOUT)
            if not confirmed or confirmed.get("type") != "psubscribe":
                raise RedisTimeoutError(f"no PSUBSCRIBE confirmation: {confirmed!r}")
        except BaseException:
            await _discard(pubsub)
            raise
        return pubsub

    async def _run(self, pubsub: PubSub | None) -> None:
        delay = _MIN_DELAY
        try:
            while True:
                if pubsub is None:
                    await asyncio.sleep(delay)
                    try:
                        pubsub = await self._subscribe()
                    except (RedisError, OSError) as exc:
                        delay = min(delay * 2, _MAX_DELAY)
                        log.warning("bus.reconnect_failed", backend="redis", error=str(exc))
                        continue
                    delay = _MIN_DELAY
                    log.info("bus.reconnected", backend="redis", prefix=self._prefix)
                    await self._after_reconnect()
                try:
                    await self._pump(pubsub)
                except (RedisError, OSError) as exc:
                    log.warning("bus.disconnected", backend="redis", error=str(exc))
                    await _discard(pubsub)
                    pubsub = None
        finally:
            if pubsub is not None:
                await _discard(pubsub)

    async def _pump(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message.get("type") != "pmessage":
                continue
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            self._dispatch(name[len(self._channel_prefix) :], message["data"])

    def _dispatch(self, topic: str, data: bytes) -> None:
        if self._handler is None:
            return
        try:
            self._handler(topic, data)
        except Exception:
            log.exception("bus.handler_failed", backend="redis", topic=topic)

    async def _after_reconnect(self) -> None:
        if self._on_reconnect is None:
            return
        try:
            await self._on_reconnect()
        except Exception:
            log.exception("bus.on_reconnect_failed", backend="redis")


async def _discard(pubsub: PubSub) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()

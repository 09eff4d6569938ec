"""The log for several server processes: one Redis, one atomic Lua script per append.

Keys (all under ``{prefix}:``): ``epoch``; ``seq:{stream}`` (the head counter);
``log:{stream}`` (sorted set of event JSON scored by seq); ``idem:{sender}:{client_msg_id}``
(the stored event, so that a retried send returns the original). Redis may lose everything
(restart without persistence, FLUSHALL): the script then starts a new epoch, seqs restart at 1,
and cursors from the old epoch make readers start over instead of silently missing messages.
Run it on a Redis with ``maxmemory-policy noeviction``: eviction of single keys is not a reset
this design can detect.

Appends that arrive while a pipeline is in flight share the next one (about 3x the throughput of
one round trip each). A pipeline whose reply was lost is resent; the idempotency key makes that
safe, at the price of reporting ``created=False`` for an append that did happen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.log.merge import merge_streams
from rtspike.transports.core.logging import get_logger

# KEYS: epoch, idem, seq, log. ARGV: candidate epoch, event JSON without seq/epoch.
# The event JSON is spliced as text, never through cjson, which would round sent_at and
# sent_at_ns to 14 significant digits.
_APPEND = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
local stored = redis.call('GET', KEYS[2])
if stored then
  return {stored, 0, epoch}
end
local seq = redis.call('INCR', KEYS[3])
local event = '{"seq":' .. seq .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[2], 2)
redis.call('ZADD', KEYS[4], seq, event)
redis.call('SET', KEYS[2], event)
return {event, 1, epoch}
"""

log = get_logger("rtspike.log")


def _client(url: str) -> aioredis.Redis:
    """A blocking pool: a burst of appenders waits for a connection instead of failing with
    "Too many connections" (redis-py's default pool refuses beyond its limit)."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=64,
        timeout=10,
        decode_responses=True,
        socket_connect_timeout=2.0,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


_Call = tuple[list[str], list[str], "asyncio.Future[list[Any]]"]


def _fail(calls: list[_Call], exc: BaseException) -> None:
    for _, _, fut in calls:
        if not fut.done():
            fut.set_exception(exc)


class RedisLog(MessageLog):
    def __init__(self, url: str, prefix: str = "rtspike") -> None:
        self._redis = _client(url)
        self._prefix = prefix
        self._epoch_key = f"{prefix}:epoch"
        self._script = self._redis.register_script(_APPEND)
        self._epoch = ""
        self._closed = False
        self._pending: list[_Call] = []
        self._flusher: asyncio.Task[None] | None = None

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"

    def _note_epoch(self, epoch: str) -> None:
        if epoch != self._epoch:
            if self._epoch:
                log.warning("log.epoch_changed", backend="redis", old=self._epoch, new=epoch)
            self._epoch = epoch

    async def start(self) -> None:
        await self.epoch()
        log.info("log.started", backend="redis", prefix=self._prefix, epoch=self._epoch)

    async def close(self) -> None:
        self._closed = True
        if self._flusher is not None:
            self._flusher.cancel()
        _fail(self._pending, RuntimeError("RedisLog is closed"))
        self._pending = []
        await self._redis.aclose()

    async def ping(self) -> None:
        """Raises after close as well: redis-py would quietly reconnect a closed client."""
        if self._closed:
            raise RuntimeError("RedisLog is closed")
        await self._redis.ping()

    async def epoch(self) -> str:
        """Asked of Redis every time: a reset must show up even before the next append."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._epoch_key, new_id(), nx=True)
            pipe.get(self._epoch_key)
            _, epoch = await pipe.execute()
        self._note_epoch(str(epoch))
        return self._epoch

    async def append(self, draft: Draft) -> tuple[MessageEvent, bool]:
        body: dict[str, Any] = {
            "id": draft.id,
            "stream": draft.stream,
            "sender": draft.sender,
            "sender_role": draft.sender_role,
            "recipient": draft.recipient,
            "lga_id": draft.lga_id,
            "body": draft.body,
            "client_msg_id": draft.client_msg_id,
            "sent_at": draft.sent_at,
            "sent_at_ns": draft.sent_at_ns,
        }
        keys = [
            self._epoch_key,
            self._key("idem", f"{draft.sender}:{draft.client_msg_id}"),
            self._key("seq", draft.stream),
            self._key("log", draft.stream),
        ]
        args = [new_id(), json.dumps(body, separators=(",", ":"), ensure_ascii=False)]
        raw, created, epoch = await self._run_script(keys, args)
        self._note_epoch(str(epoch))
        return MessageEvent.from_wire(raw), bool(created)

    async def _run_script(self, keys: list[str], args: list[str]) -> list[Any]:
        """Appends queued while a pipeline is in flight go out together in the next one: the
        Redis analogue of group commit. Each script call stays atomic on its own."""
        if self._closed:
            raise RuntimeError("RedisLog is closed")
        fut: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending.append((keys, args, fut))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name=f"redis-log:{self._prefix}")
        return await fut

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                replies = await self._send(batch)
            except asyncio.CancelledError:
                _fail(batch, RuntimeError("RedisLog is closed"))
                raise
            except Exception as exc:
                _fail(batch, exc)
                continue
            for (_, _, fut), reply in zip(batch, replies, strict=True):
                if fut.done():
                    continue
                if isinstance(reply, BaseException):
                    fut.set_exception(reply)
                else:
                    fut.set_result(reply)

    async def _send(self, batch: list[_Call]) -> list[Any]:
        replies: list[Any] = [None] * len(batch)
        todo = list(range(len(batch)))
        for attempt in range(2):
            async with self._redis.pipeline(transaction=False) as pipe:
                for i in todo:
                    keys, args, _ = batch[i]
                    pipe.evalsha(self._script.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
            for i, result in zip(todo, results, strict=True):
                replies[i] = result
            todo = [i for i in todo if isinstance(replies[i], NoScriptError)]
            if not todo or attempt:
                break
            self._script.sha = await self._redis.script_load(_APPEND)
        return replies

    async def read_after(self, positions: Mapping[str, int], limit: int) -> list[MessageEvent]:
        if limit <= 0 or not positions:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream, after in positions.items():
                pipe.zrangebyscore(
                    self._key("log", stream), f"({after}", "+inf", start=0, num=limit
                )
            replies: list[list[str]] = await pipe.execute()
        slices = [[MessageEvent.from_wire(raw) for raw in reply] for reply in replies]
        return merge_streams(slices, limit)

    async def head(self, stream: str) -> int:
        value = await self._redis.get(self._key("seq", stream))
        return int(value) if value is not None else 0

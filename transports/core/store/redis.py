"""Redis store: what several server processes share, so a logout or revoke-all on one node is
honoured by every node.

Every check-then-change runs as one Lua script (or GETDEL), so two processes racing for the same
refresh token or ticket cannot both win. Keys carry their own expiry (PXAT at the record's
``expires_at``) so Redis forgets dead records by itself; values also carry ``expires_at`` so that
reads honour the caller's ``now``. Scripts build the session key from the refresh record, which
assumes a single Redis (not Cluster), as the deployment target is one VPS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.store.base import RefreshUse, Session, Standing, Store, TokenKey

DEFAULT_SESSION_TTL_S = 30 * 24 * 3600.0

_BLACKLIST = """
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
"""

_REVOKE = """
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""

_TOUCH = """
local seen = redis.call('HGET', KEYS[1], 'last_seen')
if not seen then return 0 end
if tonumber(ARGV[1]) > tonumber(seen) then redis.call('HSET', KEYS[1], 'last_seen', ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

_USE_REFRESH = """
local v = redis.call('HMGET', KEYS[1], 'sid', 'exp', 'used')
local sid = v[1]
if not sid or tonumber(v[2]) <= tonumber(ARGV[1]) then return {'unknown'} end
if redis.call('EXISTS', ARGV[2] .. sid) == 0 then return {'unknown'} end
if v[3] == '1' then return {'reused', sid} end
redis.call('HSET', KEYS[1], 'used', '1')
return {'ok', sid}
"""

log = get_logger("rtspike.store")


def _session(session_id: str, data: dict[str, str] | None) -> Session | None:
    if not data:
        return None
    return Session(
        id=session_id,
        user_id=data["user_id"],
        created_at=float(data["created_at"]),
        last_seen=float(data["last_seen"]),
    )


def _ms(ts: float) -> int:
    return math.ceil(ts * 1000)


class RedisStore(Store):
    def __init__(
        self, url: str, prefix: str = "rtspike", session_ttl_s: float = DEFAULT_SESSION_TTL_S
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._session_ttl = max(1, math.ceil(session_ttl_s))
        self._client: Any = None
        self._scripts: dict[str, Any] = {}

    def _key(self, kind: str, ident: str) -> str:
        return f"{self._prefix}:{kind}:{ident}"

    @property
    def _redis(self) -> Any:
        if self._client is None:
            raise RuntimeError("redis store is not started")
        return self._client

    async def start(self) -> None:
        if self._client is not None:
            return
        client = aioredis.from_url(self._url, decode_responses=True)
        try:
            await client.ping()
        except Exception:
            await client.aclose()
            raise
        self._client = client
        self._scripts = {
            "blacklist": client.register_script(_BLACKLIST),
            "revoke": client.register_script(_REVOKE),
            "touch": client.register_script(_TOUCH),
            "use_refresh": client.register_script(_USE_REFRESH),
        }
        log.debug("store.started", backend="redis", prefix=self._prefix)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def ping(self) -> None:
        await self._redis.ping()

    async def blacklist(self, jti: str, expires_at: float) -> None:
        await self._scripts["blacklist"](
            keys=[self._key("bl", jti)], args=[repr(expires_at), _ms(expires_at)]
        )

    async def is_blacklisted(self, jti: str, now: float) -> bool:
        exp = await self._redis.get(self._key("bl", jti))
        return exp is not None and float(exp) > now

    async def set_revoked_before(self, user_id: str, ts: float) -> None:
        await self._scripts["revoke"](keys=[self._key("rb", user_id)], args=[repr(ts)])

    async def revoked_before(self, user_id: str) -> float:
        ts = await self._redis.get(self._key("rb", user_id))
        return float(ts) if ts is not None else 0.0

    async def create_session(self, session: Session) -> None:
        key = self._key("sess", session.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(
                key,
                mapping={
                    "user_id": session.user_id,
                    "created_at": repr(session.created_at),
                    "last_seen": repr(session.last_seen),
                },
            )
            pipe.expire(key, self._session_ttl)
            await pipe.execute()

    async def get_session(self, session_id: str) -> Session | None:
        return _session(session_id, await self._redis.hgetall(self._key("sess", session_id)))

    async def standings(self, keys: Sequence[TokenKey], now: float) -> list[Standing]:
        """One pipelined round trip for the lot."""
        if not keys:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for k in keys:
                pipe.get(self._key("bl", k.jti))
                pipe.get(self._key("rb", k.user_id))
                pipe.hgetall(self._key("sess", k.session_id))
            replies = await pipe.execute()
        return [
            Standing(
                exp is not None and float(exp) > now,
                float(ts) if ts is not None else 0.0,
                _session(k.session_id, data),
            )
            for k, exp, ts, data in zip(
                keys, replies[0::3], replies[1::3], replies[2::3], strict=True
            )
        ]

    async def touch_session(self, session_id: str, now: float) -> None:
        await self.touch_sessions([session_id], now)

    async def touch_sessions(self, session_ids: Sequence[str], now: float) -> None:
        if not session_ids:
            return
        touch = self._scripts["touch"]
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in session_ids:
                await touch(
                    keys=[self._key("sess", sid)], args=[repr(now), self._session_ttl], client=pipe
                )
            await pipe.execute()

    async def end_session(self, session_id: str) -> None:
        """Refresh records stay until their own expiry, but ``use_refresh`` requires the
        session key to exist, so they are dead from this moment."""
        await self._redis.delete(self._key("sess", session_id))

    async def add_refresh(self, jti: str, session_id: str, expires_at: float) -> None:
        key = self._key("rt", jti)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"sid": session_id, "exp": repr(expires_at), "used": "0"})
            pipe.pexpireat(key, _ms(expires_at))
            await pipe.execute()

    async def use_refresh(self, jti: str, now: float) -> tuple[RefreshUse, str | None]:
        reply = await self._scripts["use_refresh"](
            keys=[self._key("rt", jti)], args=[repr(now), self._key("sess", "")]
        )
        outcome = RefreshUse(reply[0])
        return outcome, (reply[1] if outcome is not RefreshUse.UNKNOWN else None)

    async def put_ticket(self, ticket: str, payload: str, expires_at: float) -> None:
        await self._redis.set(
            self._key("tk", ticket), f"{expires_at!r}|{payload}", pxat=_ms(expires_at)
        )

    async def take_ticket(self, ticket: str, now: float) -> str | None:
        raw = await self._redis.getdel(self._key("tk", ticket))
        if raw is None:
            return None
        exp, _, payload = str(raw).partition("|")
        return payload if float(exp) > now else None

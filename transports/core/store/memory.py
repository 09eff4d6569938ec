"""Dict-backed store for unit tests: one process, nothing survives a restart.

Every method runs without an await point, so each is atomic with respect to other coroutines;
that is what makes "exactly once" refresh and ticket consumption hold here without locks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rtspike.transports.core.store.base import RefreshUse, Session, Store

DEFAULT_SESSION_TTL_S = 30 * 24 * 3600.0
_SWEEP_EVERY = 256


@dataclass(slots=True)
class _Refresh:
    session_id: str
    expires_at: float
    used: bool = False


class MemoryStore(Store):
    def __init__(self, session_ttl_s: float = DEFAULT_SESSION_TTL_S) -> None:
        self._session_ttl_s = session_ttl_s
        self._blacklist: dict[str, float] = {}
        self._revoked: dict[str, float] = {}
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._tickets: dict[str, tuple[str, float]] = {}
        self._started = False
        self._ops = 0

    async def start(self) -> None:
        self._started = True

    async def close(self) -> None:
        self._started = False

    async def ping(self) -> None:
        if not self._started:
            raise RuntimeError("memory store is not started")

    async def blacklist(self, jti: str, expires_at: float) -> None:
        self._blacklist[jti] = max(expires_at, self._blacklist.get(jti, expires_at))

    async def is_blacklisted(self, jti: str, now: float) -> bool:
        exp = self._blacklist.get(jti)
        if exp is None:
            return False
        if exp <= now:
            del self._blacklist[jti]
            return False
        return True

    async def set_revoked_before(self, user_id: str, ts: float) -> None:
        self._revoked[user_id] = max(ts, self._revoked.get(user_id, 0.0))

    async def revoked_before(self, user_id: str) -> float:
        return self._revoked.get(user_id, 0.0)

    async def create_session(self, session: Session) -> None:
        self._sessions[session.id] = session

    async def get_session(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def touch_session(self, session_id: str, now: float) -> None:
        current = self._sessions.get(session_id)
        if current is not None and now > current.last_seen:
            self._sessions[session_id] = replace(current, last_seen=now)
        self._maybe_sweep(now)

    async def end_session(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        dead = [jti for jti, r in self._refresh.items() if r.session_id == session_id]
        for jti in dead:
            del self._refresh[jti]

    async def add_refresh(self, jti: str, session_id: str, expires_at: float) -> None:
        self._refresh[jti] = _Refresh(session_id, expires_at)

    async def use_refresh(self, jti: str, now: float) -> tuple[RefreshUse, str | None]:
        self._maybe_sweep(now)
        record = self._refresh.get(jti)
        if record is None or record.expires_at <= now or record.session_id not in self._sessions:
            return RefreshUse.UNKNOWN, None
        if record.used:
            return RefreshUse.REUSED, record.session_id
        record.used = True
        return RefreshUse.OK, record.session_id

    async def put_ticket(self, ticket: str, payload: str, expires_at: float) -> None:
        self._tickets[ticket] = (payload, expires_at)

    async def take_ticket(self, ticket: str, now: float) -> str | None:
        self._maybe_sweep(now)
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def _maybe_sweep(self, now: float) -> None:
        """Bounded memory for long test runs; amortised over many calls."""
        self._ops += 1
        if self._ops % _SWEEP_EVERY:
            return
        self._blacklist = {k: v for k, v in self._blacklist.items() if v > now}
        self._refresh = {k: v for k, v in self._refresh.items() if v.expires_at > now}
        self._tickets = {k: v for k, v in self._tickets.items() if v[1] > now}
        idle_before = now - self._session_ttl_s
        self._sessions = {k: s for k, s in self._sessions.items() if s.last_seen > idle_before}

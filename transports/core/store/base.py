"""What the auth path remembers between requests: blacklist, revocations, sessions, refresh
rotation and one-time tickets. One interface, three backends (memory, SQLite, Redis), one
contract test suite (tests/core/test_store_contract.py).

Every method that depends on time takes ``now`` (unix seconds) so that tests control the clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: str
    created_at: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class TokenKey:
    """What the store is asked about one access token."""

    jti: str
    user_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class Standing:
    """What the store holds about one access token, read together."""

    blacklisted: bool
    revoked_before: float
    session: Session | None


class RefreshUse(StrEnum):
    OK = "ok"
    REUSED = "reused"
    UNKNOWN = "unknown"


class Store(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the backend is unreachable (healthz)."""

    @abstractmethod
    async def blacklist(self, jti: str, expires_at: float) -> None:
        """Refuse ``jti`` until ``expires_at`` (the token's own exp; then it is dead anyway)."""

    @abstractmethod
    async def is_blacklisted(self, jti: str, now: float) -> bool: ...

    @abstractmethod
    async def set_revoked_before(self, user_id: str, ts: float) -> None:
        """Tokens of ``user_id`` issued before ``ts`` are refused (never moves backwards)."""

    @abstractmethod
    async def revoked_before(self, user_id: str) -> float:
        """0.0 when the user never revoked."""

    async def standings(self, keys: Sequence[TokenKey], now: float) -> list[Standing]:
        """Blacklist, revoke-all time and session of many tokens in one go: the live re-check
        asks this for every connection, and one lookup per token (three round trips each, to a
        thread or to Redis) cost the loop more than the traffic did. Backends with a round trip
        override it with one."""
        return [
            Standing(
                await self.is_blacklisted(k.jti, now),
                await self.revoked_before(k.user_id),
                await self.get_session(k.session_id),
            )
            for k in keys
        ]

    @abstractmethod
    async def create_session(self, session: Session) -> None: ...

    @abstractmethod
    async def get_session(self, session_id: str) -> Session | None: ...

    @abstractmethod
    async def touch_session(self, session_id: str, now: float) -> None: ...

    async def touch_sessions(self, session_ids: Sequence[str], now: float) -> None:
        """``touch_session`` for many (the re-check touches every live session at once)."""
        for session_id in session_ids:
            await self.touch_session(session_id, now)

    @abstractmethod
    async def end_session(self, session_id: str) -> None:
        """Also makes every refresh token of the session unusable."""

    @abstractmethod
    async def add_refresh(self, jti: str, session_id: str, expires_at: float) -> None: ...

    @abstractmethod
    async def use_refresh(self, jti: str, now: float) -> tuple[RefreshUse, str | None]:
        """Atomically consume a refresh token: (OK, session_id) once; (REUSED, session_id) on
        any later attempt, so the caller can end the session; (UNKNOWN, None) when never issued,
        expired, or its session has ended."""

    @abstractmethod
    async def put_ticket(self, ticket: str, payload: str, expires_at: float) -> None: ...

    @abstractmethod
    async def take_ticket(self, ticket: str, now: float) -> str | None:
        """Return the payload once; None if unknown, already taken or expired."""

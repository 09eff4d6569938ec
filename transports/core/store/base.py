"""What the auth path remembers between requests: blacklist, revocations, sessions, refresh
rotation and one-time tickets. One interface, three backends (memory, SQLite, Redis), one
contract test suite (tests/core/test_store_contract.py).

Every method that depends on time takes ``now`` (unix seconds) so that tests control the clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    user_id: str
    created_at: float
    last_seen: float


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

    @abstractmethod
    async def create_session(self, session: Session) -> None: ...

    @abstractmethod
    async def get_session(self, session_id: str) -> Session | None: ...

    @abstractmethod
    async def touch_session(self, session_id: str, now: float) -> None: ...

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

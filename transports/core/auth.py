"""The one authentication path for REST and every transport, plus login, refresh rotation,
logout, revoke-all and one-time realtime tickets.

Keeping all five steps in one function is the point: a transport that re-implemented "just the
signature check" would accept logged-out or revoked tokens that REST refuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rtspike.transports.core.decode import check_text
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal, Role, UserInfo
from rtspike.transports.core.ratelimit import FailureThrottle
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.store.base import RefreshUse, Session, Store
from rtspike.transports.core.tokens import TokenService, now_ms
from rtspike.transports.core.users import UserDirectory
from rtspike.transports.core.verification import Verifier

__all__ = [
    "MAX_TICKET_CHARS",
    "Announcer",
    "Authenticator",
    "TokenPair",
    "login_key",
]

log = get_logger("rtspike.auth")

MAX_TICKET_CHARS = 256

# Told about every session end, so that live connections on every node close at once: the hub
# publishes it on the bus control topic.
Announcer = Callable[[dict[str, Any]], Awaitable[None]]


def login_key(login: str) -> str:
    """What a log line or a throttle key says about a login name: never the name itself."""
    return hashlib.sha256(login.encode("utf-8", "replace")).hexdigest()[:16]


def _rate_limited(retry_after: float) -> AppError:
    return AppError(
        ErrorCode.RATE_LIMITED,
        "Too many failed logins; wait and try again",
        details={"retry_after_s": round(retry_after, 1)},
    )


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: float
    user: UserInfo

    def to_dict(self) -> dict[str, Any]:
        u = self.user
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "user": {
                "id": u.id,
                "login": u.login,
                "role": u.role.value,
                "lga_id": u.lga_id,
                "display_name": u.display_name,
            },
        }


def _user_fields(user: UserInfo) -> dict[str, str]:
    return {"user": user.id, "role": user.role.value, "lga": user.lga_id}


def _extract(token: str | None) -> str:
    """Step 1: accept a raw token or an ``Authorization`` header value."""
    if not token or not isinstance(token, str):
        raise AppError(
            ErrorCode.AUTH_REQUIRED,
            "A valid access token is required",
            details={"reason": "missing"},
        )
    scheme, _, rest = token.partition(" ")
    if rest and scheme.lower() == "bearer":
        token = rest.strip()
    if not token or " " in token:
        raise AppError(
            ErrorCode.AUTH_REQUIRED,
            "A valid access token is required",
            details={"reason": "malformed"},
        )
    return token


class Authenticator:
    """The five-step token check (signature and claims, blacklist, revoke-all time, session
    inactivity and absolute limits) plus the session lifecycle, shared by REST and every
    transport so none of them can accept a token another refuses.

    Guarantees: ``verify_token_full`` either returns a ``Principal`` or raises an ``AppError``
    with the code the client must act on; refresh tokens rotate and a reused one ends its
    session; logout and revoke-all take effect for every token issued before them; realtime
    tickets are single-use and short-lived; failed logins are throttled and all look alike.
    """

    def __init__(
        self,
        settings: Settings,
        tokens: TokenService,
        store: Store,
        users: UserDirectory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._store = store
        self._users = users
        self._clock = clock
        self._verifier = Verifier(settings, store, users, clock, self.end_session)
        window = settings.login_window_s
        self._by_login = FailureThrottle(settings.login_failures_per_login, window)
        self._by_client = FailureThrottle(settings.login_failures_per_client, window)
        self.announce: Announcer | None = None

    # verification --------------------------------------------------------------------------
    async def verify_token_full(self, token: str | None) -> Principal:
        """Steps 1-5; the only way anything in rtspike turns a token into a Principal."""
        claims = self._tokens.decode(_extract(token), "access")
        principal = self._tokens.principal_from_claims(claims)
        await self.verify_principal(principal)
        return principal

    async def verify_principal(self, principal: Principal) -> None:
        """Steps 3-5 (and expiry) for an already decoded principal: tickets and live re-checks
        call this so a logout, a revoke-all or an idle session ends them too."""
        refusal = (await self._verifier.verify([principal]))[0]
        if refusal is not None:
            raise refusal

    async def verify_principals(self, principals: Sequence[Principal]) -> list[AppError | None]:
        """``verify_principal`` for many, with one store lookup for all of them (the live
        re-check of every connection): each one's refusal, or None."""
        return await self._verifier.verify(principals)

    # login / refresh / logout --------------------------------------------------------------
    async def login(self, login: str, password: str, client: str = "") -> TokenPair:
        """Failures are counted per login name and per client address; either one over its
        limit refuses further attempts (even the right password) with RATE_LIMITED until its
        window ends, before any hash is computed."""
        check_text(login, "login")
        check_text(password, "password")
        key, addr, now = f"login:{login_key(login)}", f"client:{client}", self._clock()
        wait = max(self._by_login.retry_after(key, now), self._by_client.retry_after(addr, now))
        if wait > 0:
            log.warning("auth.login_throttled", login_hash=login_key(login), code="RATE_LIMITED")
            raise _rate_limited(wait)
        user = await asyncio.to_thread(self._users.check_password, login, password)
        if user is None:
            self._by_login.fail(key, now)
            self._by_client.fail(addr, now)
            known = self._users.by_login(login)
            log.info(
                "auth.login_failed",
                login_hash=login_key(login),
                user=known.id if known else None,
            )
            raise AppError(ErrorCode.AUTH_REQUIRED, "invalid login or password")
        self._by_login.clear(key)
        created = now_ms(self._clock)
        session = Session(id=new_id(), user_id=user.id, created_at=created, last_seen=created)
        await self._store.create_session(session)
        pair = await self._issue_pair(user, session)
        log.info("auth.login", session=session.id, **_user_fields(user))
        return pair

    async def _issue_pair(self, user: UserInfo, session: Session) -> TokenPair:
        """No access token outlives its session's absolute limit, so a live connection's
        expiry timer ends it at that limit."""
        left = session.created_at + self._settings.session_absolute_s - self._clock()
        ttl = min(self._settings.access_ttl_s, max(left, 0.001))
        access, _ = self._tokens.issue_access(user, session.id, ttl)
        refresh, rclaims = self._tokens.issue_refresh(user, session.id)
        await self._store.add_refresh(rclaims["jti"], session.id, float(rclaims["exp"]))
        return TokenPair(access, refresh, ttl, user)

    async def end_session(
        self, session_id: str, user_id: str, reason: str, jti: str | None = None
    ) -> None:
        """The one path every session end takes (logout, refresh reuse, revoked refresh,
        inactivity, absolute timeout): end it in the store, then announce it so that every
        node closes the session's live connections."""
        await self._store.end_session(session_id)
        self._verifier.forget(session_id)
        log.info("auth.session_ended", session=session_id, user=user_id, reason=reason)
        if self.announce is not None:
            msg = {"kind": "session", "user_id": user_id, "sid": session_id, "reason": reason}
            if jti is not None:
                msg["jti"] = jti
            await self.announce(msg)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotation with reuse detection: a refresh token works once; presenting it again means
        it leaked, so the whole session (every token descended from that login) ends."""
        claims = self._tokens.decode(_extract(refresh_token), "refresh")
        sid, jti = claims["sid"], claims["jti"]
        now = self._clock()
        user = self._users.get(claims["sub"])
        if user is None:
            raise AppError(
                ErrorCode.AUTH_REQUIRED,
                "A valid refresh token is required",
                details={"reason": "unknown user"},
            )
        outcome, used_sid = await self._store.use_refresh(jti, now)
        if outcome is RefreshUse.REUSED:
            log.warning("auth.refresh_reused", session=used_sid or sid, **_user_fields(user))
            await self.end_session(used_sid or sid, user.id, "refresh token reused")
            raise AppError(
                ErrorCode.TOKEN_REVOKED,
                "Refresh token reuse detected; log in again",
                details={"reason": "reused"},
            )
        if outcome is not RefreshUse.OK or used_sid != sid:
            raise AppError(
                ErrorCode.TOKEN_REVOKED,
                "The refresh token is not valid; log in again",
                details={"reason": "unknown"},
            )
        if float(claims["iat"]) < await self._store.revoked_before(user.id):
            await self.end_session(sid, user.id, "revoked")
            raise AppError(
                ErrorCode.TOKEN_REVOKED,
                "The token was revoked; log in again",
                details={"reason": "revoked"},
            )
        session = await self._verifier.check_session(sid, user.id, now)
        pair = await self._issue_pair(user, session)
        log.info("auth.refresh", session=sid, **_user_fields(user))
        return pair

    async def logout(self, principal: Principal) -> None:
        await self._store.blacklist(principal.jti, principal.exp)
        log.info("auth.logout", session=principal.session_id, **principal.log_fields())
        await self.end_session(
            principal.session_id, principal.user_id, "logged out", jti=principal.jti
        )

    async def revoke_all(self, principal: Principal) -> float:
        """Every token of the user issued before now (same millisecond excepted) is refused,
        and every node closes the user's connections that those tokens opened."""
        ts = now_ms(self._clock)
        await self._store.set_revoked_before(principal.user_id, ts)
        log.info("auth.revoke_all", revoked_before=ts, **principal.log_fields())
        if self.announce is not None:
            await self.announce({"kind": "user", "user_id": principal.user_id, "before": ts})
        return ts

    # one-time tickets ----------------------------------------------------------------------
    async def issue_ticket(self, principal: Principal) -> str:
        """A short-lived stand-in for the JWT where it would land in a URL (EventSource)."""
        ticket = secrets.token_urlsafe(32)
        payload = json.dumps(
            {
                "user_id": principal.user_id,
                "role": principal.role.value,
                "lga_id": principal.lga_id,
                "jti": principal.jti,
                "iat": principal.iat,
                "exp": principal.exp,
                "session_id": principal.session_id,
            }
        )
        expires_at = self._clock() + self._settings.ticket_ttl_s
        await self._store.put_ticket(ticket, payload, expires_at)
        return ticket

    async def redeem_ticket(self, ticket: str | None) -> Principal:
        if not ticket or not isinstance(ticket, str) or len(ticket) > MAX_TICKET_CHARS:
            raise AppError(
                ErrorCode.AUTH_REQUIRED, "A valid ticket is required", details={"reason": "missing"}
            )
        payload = await self._store.take_ticket(ticket, self._clock())
        if payload is None:
            raise AppError(
                ErrorCode.AUTH_REQUIRED,
                "The ticket is unknown, used or expired",
                details={"reason": "invalid ticket"},
            )
        try:
            data = json.loads(payload)
            principal = Principal(
                user_id=str(data["user_id"]),
                role=Role(data["role"]),
                lga_id=str(data["lga_id"]),
                jti=str(data["jti"]),
                iat=float(data["iat"]),
                exp=float(data["exp"]),
                session_id=str(data["session_id"]),
            )
        except (ValueError, KeyError, TypeError):
            raise AppError(
                ErrorCode.AUTH_REQUIRED,
                "The ticket is unknown, used or expired",
                details={"reason": "corrupt ticket"},
            ) from None
        await self.verify_principal(principal)
        return principal

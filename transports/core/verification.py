"""Steps 3-5 of the token check (blacklist, revoke-all time, session limits) for principals
whose token is already decoded, many at a time.

Many at a time because the live re-check verifies every connection every interval: one
store lookup per check (three round trips per connection, to the reader thread or to Redis)
cost the server more than the traffic it carried (measured: ~250 ms of CPU per re-check of
1,000 connections, 1.2x the open-loop server CPU of `bench peers`). A single check is a batch
of one, so both go through the same code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.principal import Principal
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.store.base import Session, Store, TokenKey
from rtspike.transports.core.users import UserDirectory, unknown_user

__all__ = ["SessionEnder", "Verifier", "session_expired"]

_TOUCH_CACHE_MAX = 50_000

SessionEnder = Callable[[str, str, str], Awaitable[None]]
"""``(session_id, user_id, reason)``: ends a session in the store and announces it."""


def session_expired(reason: str) -> AppError:
    return AppError(
        ErrorCode.SESSION_EXPIRED, "The session has ended; log in again", details={"reason": reason}
    )


class Verifier:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        users: UserDirectory,
        clock: Callable[[], float],
        end_session: SessionEnder,
    ) -> None:
        self._settings = settings
        self._store = store
        self._users = users
        self._clock = clock
        self._end_session = end_session
        self._touch_every = min(60.0, settings.session_inactivity_s / 10)
        self._last_touch: dict[str, float] = {}

    def forget(self, session_id: str) -> None:
        self._last_touch.pop(session_id, None)

    async def verify(self, principals: Sequence[Principal]) -> list[AppError | None]:
        """Each principal's refusal, or None; one store lookup for all of them."""
        now = self._clock()
        out = [self._claims_refusal(p, now) for p in principals]
        asked = [p for p, refusal in zip(principals, out, strict=True) if refusal is None]
        standings = iter(
            await self._store.standings(
                [TokenKey(p.jti, p.user_id, p.session_id) for p in asked], now
            )
        )
        touch: dict[str, None] = {}
        refused: dict[tuple[str, str], AppError | None] = {}  # a session is judged (and ended) once
        for i, p in enumerate(principals):
            if out[i] is not None:
                continue
            st = next(standings)
            if st.blacklisted:
                out[i] = AppError(
                    ErrorCode.TOKEN_REVOKED,
                    "The token was revoked (logged out)",
                    details={"reason": "logged out"},
                )
            elif p.iat < st.revoked_before:
                out[i] = AppError(
                    ErrorCode.TOKEN_REVOKED,
                    "The token was revoked; log in again",
                    details={"reason": "revoked"},
                )
            else:
                key = (p.session_id, p.user_id)
                if key not in refused:
                    refused[key] = await self._session_refusal(
                        st.session, p.session_id, p.user_id, now
                    )
                out[i] = refused[key]
                if out[i] is None and self._touch_due(p.session_id, now):
                    touch[p.session_id] = None
        await self._touch(list(touch), now)
        return out

    def _claims_refusal(self, principal: Principal, now: float) -> AppError | None:
        user = self._users.get(principal.user_id)
        if user is None:
            return unknown_user()
        if user.role != principal.role or user.lga_id != principal.lga_id:
            return AppError(
                ErrorCode.TOKEN_REVOKED,
                "The user's role or team changed; refresh",
                details={"reason": "claims stale"},
            )
        if principal.exp <= now:
            return AppError(ErrorCode.TOKEN_EXPIRED, "The token has expired; refresh it")
        return None

    async def check_session(self, session_id: str, user_id: str, now: float) -> Session:
        """Step 5 alone (a refresh presents no access token)."""
        session = await self._store.get_session(session_id)
        refusal = await self._session_refusal(session, session_id, user_id, now)
        if refusal is not None or session is None:
            raise refusal or session_expired("no session")
        if self._touch_due(session_id, now):
            await self._touch([session_id], now)
        return session

    async def _session_refusal(
        self, session: Session | None, session_id: str, user_id: str, now: float
    ) -> AppError | None:
        """Step 5: the session exists, is the user's, and is within its inactivity and
        absolute limits (a session past one is ended here, on every node)."""
        if session is None or session.user_id != user_id:
            self._last_touch.pop(session_id, None)
            return session_expired("no session")
        for reason, ended in (
            ("inactive", now - session.last_seen > self._settings.session_inactivity_s),
            ("absolute timeout", now - session.created_at > self._settings.session_absolute_s),
        ):
            if ended:
                await self._end_session(session_id, user_id, reason)
                return session_expired(reason)
        return None

    def _touch_due(self, session_id: str, now: float) -> bool:
        """Touching is throttled: last_seen may lag by at most ``_touch_every`` (a tenth of
        the inactivity limit), which is what keeps verification cheap."""
        last = self._last_touch.get(session_id)
        return last is None or now - last >= self._touch_every

    async def _touch(self, session_ids: list[str], now: float) -> None:
        if not session_ids:
            return
        await self._store.touch_sessions(session_ids, now)
        if len(self._last_touch) + len(session_ids) > _TOUCH_CACHE_MAX:
            self._last_touch.clear()
        for session_id in session_ids:
            self._last_touch[session_id] = now

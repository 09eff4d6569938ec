"""The REST side of the resilient client: polling, idempotent sends and token refresh.

Degraded mode lives entirely on these calls, so they speak the same error shape as every
transport (AppError rebuilt from the JSON body) and never log a token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from rtspike.transports.clients.base import error_of_response
from rtspike.transports.clients.resilient.state import Terminal
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.resilient")
PREFIX = "/api/v1"
PAGE_LIMIT = 200

TokenProvider = Callable[[str | None], Awaitable[str]]
"""Called on every (re)connect. The argument is the token the server just refused as expired
(or None): the provider then refreshes, unless another caller already did."""

EXPIRED_CODES = frozenset(
    {ErrorCode.TOKEN_EXPIRED, ErrorCode.TOKEN_REVOKED, ErrorCode.SESSION_EXPIRED}
)


class RestApi:
    """Thin typed wrapper over the endpoints degraded mode needs."""

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http

    def _url(self, path: str) -> str:
        return f"{self.base_url}{PREFIX}{path}"

    async def messages(
        self, token: str, after: str, limit: int = PAGE_LIMIT
    ) -> tuple[list[MessageEvent], bool]:
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        resp = await self.http.get(
            self._url("/messages"), params=params, headers={"Authorization": f"Bearer {token}"}
        )
        if resp.status_code != 200:
            raise error_of_response(resp)
        body = resp.json()
        events = [MessageEvent.model_validate(m) for m in body["messages"]]
        return events, bool(body["has_more"])

    async def send(self, token: str, message: dict[str, Any]) -> MessageEvent:
        resp = await self.http.post(
            self._url("/messages"),
            content=json.dumps(message),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if resp.status_code != 201:
            raise error_of_response(resp)
        return MessageEvent.model_validate(resp.json()["message"])

    async def healthy(self) -> bool:
        """True when REST answers at all: the server is up even if the transport is not."""
        try:
            resp = await self.http.get(self._url("/healthz"))
        except httpx.HTTPError:
            return False
        return resp.status_code == 200

    async def auth(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        resp = await self.http.post(self._url(path), json=body)
        if resp.status_code != 200:
            raise error_of_response(resp)
        data: dict[str, Any] = resp.json()
        return data


class SessionTokens:
    """A TokenProvider for a user with a login and password: logs in once, then refreshes
    (the server rotates refresh tokens, so the newest one is always kept) when told the token
    expired or when it is within ``refresh_margin_s`` of expiry. One lock serializes refreshes:
    two concurrent refreshes with the same refresh token would look like token theft to the
    server's reuse detection and revoke the whole session."""

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        http: httpx.AsyncClient | None = None,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self._own_http = http is None
        self.api = RestApi(base_url, http or httpx.AsyncClient(timeout=5.0))
        self.login = login
        self._password = password
        self.refresh_margin_s = refresh_margin_s
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.user: dict[str, Any] = {}
        self.logins = 0
        self.refreshes = 0
        self._expires_at = 0.0
        self._ttl = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self, refused: str | None = None) -> str:
        async with self._lock:
            if self.access_token is None or self.refresh_token is None:
                await self._login()
            elif (refused is not None and refused == self.access_token) or self._near_expiry():
                await self._refresh()
            assert self.access_token is not None
            return self.access_token

    def _near_expiry(self) -> bool:
        margin = min(self.refresh_margin_s, self._ttl / 4)
        return time.monotonic() >= self._expires_at - margin

    async def _login(self) -> None:
        pair = await self.api.auth("/auth/login", {"login": self.login, "password": self._password})
        self.logins += 1
        self._keep(pair)
        log.info("client.login", login=self.login, user=self.user.get("id"))

    async def _refresh(self) -> None:
        assert self.refresh_token is not None
        try:
            pair = await self.api.auth("/auth/refresh", {"refresh_token": self.refresh_token})
        except AppError as exc:
            log.warning("client.refresh_refused", login=self.login, code=exc.code.value)
            raise
        self.refreshes += 1
        self._keep(pair)
        log.info("client.refreshed", login=self.login, user=self.user.get("id"))

    def _keep(self, pair: dict[str, Any]) -> None:
        self.access_token = str(pair["access_token"])
        self.refresh_token = str(pair["refresh_token"])
        self.user = dict(pair.get("user") or {})
        self._ttl = float(pair.get("expires_in") or 0.0)
        self._expires_at = time.monotonic() + self._ttl

    async def aclose(self) -> None:
        if self._own_http:
            await self.api.http.aclose()


class TokenKeeper:
    """The client's current token. ``expired`` marks it refused by a live connection (close
    code TOKEN_EXPIRED), so the next ``get`` asks the provider for a refreshed one."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider
        self.token: str | None = None
        self.expired = False

    async def get(self, refused: str | None = None) -> str:
        """A refresh the server refuses (401/403) is Terminal: only a new login can help."""
        if refused is None and self.expired:
            refused = self.token
        try:
            token = await self.provider(refused)
        except AppError as exc:
            if exc.status in (401, 403):
                raise Terminal(exc.code.value) from None
            raise
        self.expired = False
        self.token = token
        return token

    async def call(self, fn: Callable[[str], Awaitable[Any]]) -> Any:
        """Run a REST call with the token; on an expiry refusal refresh once and retry."""
        token = self.token or await self.get()
        try:
            return await fn(token)
        except AppError as exc:
            if exc.code not in EXPIRED_CODES:
                raise
        return await fn(await self.get(refused=token))


def static_token(token: str) -> TokenProvider:
    """A provider that cannot refresh (tests, scripts): an expiry refusal stays a refusal."""

    async def provide(refused: str | None = None) -> str:
        if refused is not None and refused == token:
            raise AppError(ErrorCode.TOKEN_EXPIRED, "static token expired; cannot refresh")
        return token

    return provide

"""Fault injection for tests and the demo: make the realtime routes unavailable while REST
keeps working, which is exactly the situation degraded mode exists for.

Off unless ``RTSPIKE_DEV_FAULTS=true``; never enable it in production. Changing the faults takes
a JSON body (so a cross-origin form or ``text/plain`` POST is refused) and either the dev token
(``X-Rtspike-Dev-Token``: ``RTSPIKE_DEV_FAULTS_TOKEN``, or one generated and printed by
``serve``) or a super admin's access token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rtspike.transports import registry
from rtspike.transports.core.errors import AppError, ErrorCode, validation_error
from rtspike.transports.core.ids import new_secret
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Role
from rtspike.transports.core.settings import Settings
from rtspike.transports.server.api import PREFIX, principal_of
from rtspike.transports.server.http import HUB_KEY, bearer, error_response, read_json

__all__ = [
    "FAULTS_KEY",
    "TOKEN_HEADER",
    "Faults",
    "blocked_error",
    "dev_token",
    "faults_middleware",
    "get_faults",
    "install",
    "realtime_prefixes",
    "set_faults",
]

log = get_logger("rtspike.faults")
TOKEN_HEADER = "X-Rtspike-Dev-Token"


def realtime_prefixes() -> tuple[str, ...]:
    """Every path a registered transport serves; REST (``/api/``) is never among them."""
    return tuple(path for spec in registry.specs() for path in spec.paths)


@dataclass
class Faults:
    prefixes: tuple[str, ...]
    token: str = field(default_factory=lambda: new_secret(24), repr=False)
    realtime_blocked: bool = False


def dev_token(settings: Settings) -> str:
    """The configured dev token, or a fresh one (``serve`` prints it)."""
    if settings.dev_faults_token is not None:
        return settings.dev_faults_token.get_secret_value()
    return new_secret(24)


async def _require_operator(request: web.Request) -> None:
    given = request.headers.get(TOKEN_HEADER, "")
    if given and hmac.compare_digest(given.encode(), request.app[FAULTS_KEY].token.encode()):
        return
    if bearer(request) is None:
        raise AppError(
            ErrorCode.AUTH_REQUIRED,
            f"Send the dev token printed by `rtspike serve` in {TOKEN_HEADER}",
        )
    principal = await principal_of(request)
    if principal.role is not Role.SUPER_ADMIN:
        raise AppError(
            ErrorCode.FORBIDDEN_ROLE,
            "Only a super admin or the dev token may change faults",
            details={"role": principal.role.value},
        )


FAULTS_KEY: web.AppKey[Faults] = web.AppKey("faults", Faults)


def blocked_error() -> AppError:
    return AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "realtime transport unavailable; poll")


@web.middleware
async def faults_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    faults = request.app.get(FAULTS_KEY)
    if faults and faults.realtime_blocked and request.path.startswith(faults.prefixes):
        return error_response(blocked_error())
    response: web.StreamResponse = await handler(request)
    return response


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response({"realtime_blocked": request.app[FAULTS_KEY].realtime_blocked})


async def set_faults(request: web.Request) -> web.Response:
    body = await read_json(request)
    await _require_operator(request)
    blocked = body.get("realtime_blocked")
    if not isinstance(blocked, bool):
        raise validation_error("'realtime_blocked' must be true or false", field="realtime_blocked")
    faults = request.app[FAULTS_KEY]
    faults.realtime_blocked = blocked
    closed = 0
    if blocked:
        closed = request.app[HUB_KEY].disconnect_all(
            AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "Realtime is blocked here; use REST.")
        )
    log.warning("dev.faults", realtime_blocked=blocked, closed=closed)
    return web.json_response({"realtime_blocked": blocked, "closed": closed})


def install(app: web.Application, settings: Settings) -> None:
    """Called by build_app when settings.dev_faults is on."""
    app[FAULTS_KEY] = Faults(realtime_prefixes(), token=dev_token(settings))
    app.middlewares.append(faults_middleware)
    app.router.add_get(f"{PREFIX}/dev/faults", get_faults)
    app.router.add_post(f"{PREFIX}/dev/faults", set_faults)

"""REST API (aiohttp): auth lifecycle, tickets, polling/catch-up, sending, health, metrics.

It is also the SSE transport's upstream and the resilient client's degraded-mode path, so it
speaks the same error shape and the same cursor as every transport.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import time
from typing import Any

from aiohttp import web

from rtspike.transports import registry
from rtspike.transports.core.decode import parse_int
from rtspike.transports.core.errors import AppError, ErrorCode, validation_error
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal, UserInfo
from rtspike.transports.server.http import bearer, hub_of, read_json

__all__ = ["MESSAGES_PATH", "PREFIX", "TRANSPORT_HEADER", "add_routes", "principal_of"]

log = get_logger("rtspike.api")
PREFIX = "/api/v1"
MESSAGES_PATH = f"{PREFIX}/messages"
TRANSPORT_HEADER = "X-Rtspike-Transport"
"""Names the transport a REST send came up for (its metrics label)."""


async def principal_of(request: web.Request) -> Principal:
    return await hub_of(request).auth.verify_token_full(bearer(request))


def _str_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > 8192:
        raise validation_error(f"'{name}' is required", field=name)
    return value


async def login(request: web.Request) -> web.Response:
    body = await read_json(request)
    pair = await hub_of(request).auth.login(
        _str_field(body, "login"), _str_field(body, "password"), request.remote or ""
    )
    return web.json_response(pair.to_dict())


async def refresh(request: web.Request) -> web.Response:
    body = await read_json(request)
    pair = await hub_of(request).auth.refresh(_str_field(body, "refresh_token"))
    return web.json_response(pair.to_dict())


async def logout(request: web.Request) -> web.Response:
    principal = await principal_of(request)
    await hub_of(request).logout(principal)
    return web.json_response({"ok": True})


async def revoke_all(request: web.Request) -> web.Response:
    principal = await principal_of(request)
    before = await hub_of(request).revoke_all(principal)
    return web.json_response({"ok": True, "revoked_before": before})


async def ticket(request: web.Request) -> web.Response:
    hub = hub_of(request)
    principal = await principal_of(request)
    hub.policy.check_connect(principal)
    value = await hub.auth.issue_ticket(principal)
    return web.json_response({"ticket": value, "expires_in": hub.settings.ticket_ttl_s})


def _member(user: UserInfo) -> dict[str, str]:
    return {
        "id": user.id,
        "login": user.login,
        "name": user.display_name or user.login,
        "role": user.role.value,
    }


async def team(request: web.Request) -> web.Response:
    """The caller's team as the policy sees it (the demo's recipient picker)."""
    view = hub_of(request).policy.team(await principal_of(request))
    return web.json_response(
        {
            "me": _member(view.me),
            "can_send": view.can_send,
            "can_broadcast": view.can_broadcast,
            "recipients": [_member(u) for u in view.recipients],
        }
    )


async def list_messages(request: web.Request) -> web.Response:
    principal = await principal_of(request)
    limit = parse_int(request.query.get("limit"), "limit", 1, 1000, 200)
    events, cursor, more = await hub_of(request).catch_up(
        principal, request.query.get("after"), limit
    )
    body = (
        '{"messages":['
        + ",".join(e.wire() for e in events)
        + f'],"cursor":{json.dumps(cursor.encode())},"has_more":{json.dumps(more)}}}'
    )
    return web.Response(text=body, content_type="application/json")


async def post_message(request: web.Request) -> web.Response:
    principal = await principal_of(request)
    hub = hub_of(request)
    if (
        request.content_length is not None
        and request.content_length > hub.settings.max_message_bytes
    ):
        raise AppError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            "message too large",
            details={"max_bytes": hub.settings.max_message_bytes},
        )
    raw = await request.read()
    transport = request.headers.get(TRANSPORT_HEADER, "rest")
    if transport not in registry.rest_upstream():
        transport = "rest"
    event = await hub.send(principal, raw, transport)
    return web.Response(
        text='{"message":' + event.wire() + "}", status=201, content_type="application/json"
    )


async def healthz(request: web.Request) -> web.Response:
    hub = hub_of(request)
    checks: dict[str, str] = {}
    for name, part in (("store", hub.store), ("log", hub.log), ("bus", hub.bus)):
        try:
            await part.ping()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return web.json_response(
        {
            "status": "ok" if ok else "degraded",
            "checks": checks,
            "node": hub.settings.node_id,
            "connections": hub.connection_count,
            "epoch": hub.epoch,
            "time": time.time(),
        },
        status=200 if ok else 503,
    )


def _loopback_unproxied(request: web.Request) -> bool:
    forwarded = any(h in request.headers for h in ("Forwarded", "X-Forwarded-For", "X-Real-IP"))
    try:
        return not forwarded and ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def _require_metrics_access(request: web.Request, hub: Hub) -> None:
    """With ``RTSPIKE_METRICS_TOKEN`` set, scrapes must send it as a bearer token; without it
    only a direct loopback peer may scrape (a proxied request is not trusted to be local)."""
    configured = hub.settings.metrics_token
    if configured is not None:
        given = (bearer(request) or "").encode()
        if hmac.compare_digest(given, configured.get_secret_value().encode()):
            return
    elif _loopback_unproxied(request):
        return
    raise AppError(
        ErrorCode.AUTH_REQUIRED, "Metrics need the metrics token (RTSPIKE_METRICS_TOKEN)"
    )


async def metrics(request: web.Request) -> web.Response:
    hub = hub_of(request)
    _require_metrics_access(request, hub)
    hub.flush_metrics()
    return web.Response(
        body=hub.metrics.render(), headers={"Content-Type": hub.metrics.content_type}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/auth/login", login)
    app.router.add_post(f"{PREFIX}/auth/refresh", refresh)
    app.router.add_post(f"{PREFIX}/auth/logout", logout)
    app.router.add_post(f"{PREFIX}/auth/revoke-all", revoke_all)
    app.router.add_post(f"{PREFIX}/realtime/ticket", ticket)
    app.router.add_get(f"{PREFIX}/team", team)
    app.router.add_get(MESSAGES_PATH, list_messages)
    app.router.add_post(MESSAGES_PATH, post_message)
    app.router.add_get(f"{PREFIX}/healthz", healthz)
    app.router.add_get(f"{PREFIX}/metrics", metrics)

"""``GET /realtime/sse``: authenticate, resume from a cursor, then stream until the hub ends it.

Every refusal happens before the stream starts, as the normal JSON error with its HTTP status,
so that ``fetch`` (and the Python client) can read why. Browsers authenticate with a one-time
ticket in the query (EventSource cannot send headers, and a JWT must never sit in a URL); other
clients send ``Authorization: Bearer``.

The cookie variant is what a team does to keep EventSource's own reconnect working: a ticket
is spent on first use, so the browser's automatic retry (same URL) is refused. ``POST
/api/v1/realtime/sse-cookie`` (with the Bearer token) puts the access token in an HttpOnly,
SameSite=Strict cookie scoped to the stream path and living no longer than the token; every
retry then authenticates with it through the same checks (expiry, logout, revoke-all). Page
script cannot read it and no other site can send it.
"""

from __future__ import annotations

import time

from aiohttp import web

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal
from rtspike.transports.server.http import HUB_KEY, PREPARED_KEY, bearer, internal_error_fields
from rtspike.transports.server.outbox import Flusher
from rtspike.transports.sse.connection import (
    TRANSPORT,
    FrameCache,
    SseConnection,
    error_frame,
)
from rtspike.transports.sse.settings import SseSettings, load_sse_settings

log = get_logger("rtspike.sse")
PATH = "/realtime/sse"
COOKIE_PATH = "/api/v1/realtime/sse-cookie"
COOKIE = "rtspike_sse"
CONNECTIONS_KEY = web.AppKey("sse_connections", set[SseConnection])
FLUSHER_KEY = web.AppKey("sse_flusher", Flusher)
WIRES_KEY = web.AppKey("sse_wires", FrameCache)
SETTINGS_KEY = web.AppKey("sse_settings", SseSettings)

_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


async def _authenticate(request: web.Request, hub: Hub) -> Principal:
    if "ticket" in request.query:
        return await hub.authenticate_ticket(request.query["ticket"], TRANSPORT)
    token = bearer(request)
    if token is None and COOKIE in request.cookies:
        token = request.cookies[COOKIE]
    return await hub.authenticate(token, TRANSPORT)


async def set_cookie(request: web.Request) -> web.Response:
    """The reusable credential for EventSource retries: the caller's own access token, as an
    HttpOnly cookie that only the stream path receives, expiring with the token."""
    hub = request.app[HUB_KEY]
    token = bearer(request)
    principal = await hub.authenticate(token, TRANSPORT)
    response = web.Response(status=204)
    response.set_cookie(
        COOKIE,
        token or "",
        max_age=max(1, int(principal.exp - time.time())),
        path=PATH,
        httponly=True,
        secure=request.secure,
        samesite="Strict",
    )
    return response


def _resume_cursor(request: web.Request, hub: Hub, principal: Principal) -> Cursor:
    """``Last-Event-ID`` (EventSource's own reconnect) wins over ``?cursor=`` (a new URL)."""
    raw = request.headers.get("Last-Event-ID") or request.query.get("cursor")
    try:
        return Cursor.decode(raw)
    except AppError as exc:
        hub.bad_frame(TRANSPORT, exc, principal)
        raise


async def stream(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    principal = await _authenticate(request, hub)
    cursor = _resume_cursor(request, hub, principal)
    try:
        hub.admit(principal)
    except AppError as exc:
        hub.bad_frame(TRANSPORT, exc, principal)
        raise
    response = web.StreamResponse(status=200, headers=_HEADERS)
    response.force_close()
    await response.prepare(request)
    request[PREPARED_KEY] = response
    try:
        await _stream(request, hub, principal, cursor, response)
    except Exception as exc:
        # The stream has started: the error goes out as its last event, never as an HTTP 500.
        error = exc if isinstance(exc, AppError) else AppError(ErrorCode.INTERNAL, "Internal error")
        if not isinstance(exc, AppError):
            log.error("realtime.internal_error", transport=TRANSPORT, **internal_error_fields(exc))
        else:
            hub.bad_frame(TRANSPORT, exc, principal)
        sock = request.transport
        if sock is not None and not sock.is_closing():
            chunk = error_frame(error)
            sock.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
    return response


async def _stream(
    request: web.Request,
    hub: Hub,
    principal: Principal,
    cursor: Cursor,
    response: web.StreamResponse,
) -> None:
    await response.write(b"retry: %d\n\n" % request.app[SETTINGS_KEY].retry_ms)
    sock = request.transport
    if sock is None or sock.is_closing():
        return
    conn = SseConnection(
        principal,
        sock,
        request.protocol,
        request.app[FLUSHER_KEY],
        request.app[WIRES_KEY],
        hub.settings.queue_bound,
        hub.settings.keepalive_s,
        hub.settings.stall_timeout_s,
        hub.cut_slow_consumer,
    )
    live = request.app[CONNECTIONS_KEY]
    live.add(conn)
    try:
        conn.cursor = cursor
        start = await hub.attach(conn, cursor)
        if conn.pushed == 0:
            conn.cursor = start
        await conn.run()
    finally:
        live.discard(conn)
        if conn.ended_by_peer:
            hub.detach(conn, None, "client went away")
        else:
            hub.detach(conn, conn.close_code, conn.close_reason)


def connections(app: web.Application) -> list[SseConnection]:
    """The live streams of this app (operations and tests: end one without touching the hub)."""
    live = app[CONNECTIONS_KEY]
    return list(live)


def mount(app: web.Application, hub: Hub) -> None:
    app[SETTINGS_KEY] = load_sse_settings()
    app[CONNECTIONS_KEY] = set()
    app[FLUSHER_KEY] = Flusher()
    app[WIRES_KEY] = FrameCache()
    app.router.add_get(PATH, stream)
    app.router.add_post(COOKIE_PATH, set_cookie)

"""The HTTP edge every aiohttp route shares: the hub's app key, the one JSON error shape and the
middleware that enforces it, bearer tokens and JSON bodies.

It lives apart from the REST API so that adapters serving plain HTTP (SSE) use the same edge
without importing the API's routes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rtspike.transports.core.decode import decode_json
from rtspike.transports.core.errors import AppError, ErrorCode, validation_error
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger

__all__ = ["HUB_KEY", "bearer", "error_middleware", "error_response", "hub_of", "read_json"]

log = get_logger("rtspike.http")
HUB_KEY: web.AppKey[Hub] = web.AppKey("hub", Hub)
# Set by a handler once its response is prepared (an upgraded WebSocket, a started SSE stream): an
# HTTP error response can no longer be written on that socket.
PREPARED_KEY = "rtspike.prepared"
MAX_JSON_BODY_BYTES = 64 * 1024

_HTTP_CODES = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def error_response(exc: AppError) -> web.Response:
    headers = {}
    retry_after = exc.details.get("retry_after_s")
    if isinstance(retry_after, int | float):
        headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return web.json_response(exc.to_dict(), status=exc.status, headers=headers)


def internal_error_fields(exc: BaseException) -> dict[str, Any]:
    """What an internal error log line carries: the exception type and where it was raised
    (module and line), never its message (it can quote client input) nor a file path."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_globals.get('__name__', '?')}:{tb.tb_lineno}" if tb else "?"
    return {"error": type(exc).__name__, "where": where}


def _log_refusal(request: web.Request, exc: AppError) -> None:
    hub = request.app.get(HUB_KEY)
    if hub is None:
        return
    hub.log_refusal(
        "http.error",
        "rest",
        exc,
        client=request.remote,
        path=request.path[:128],
        method=request.method,
        status=exc.status,
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure leaves in the one JSON shape; nothing internal leaks."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except AppError as exc:
        _log_refusal(request, exc)
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, ErrorCode.VALIDATION_ERROR)
        err = AppError(code, exc.reason, status=exc.status)
        _log_refusal(request, err)
        return error_response(err)
    except Exception as exc:
        log.error(
            "http.internal_error",
            path=request.path,
            method=request.method,
            **internal_error_fields(exc),
        )
        prepared = request.get(PREPARED_KEY)
        if isinstance(prepared, web.StreamResponse):
            return prepared
        return error_response(AppError(ErrorCode.INTERNAL, "internal error; try again"))


def hub_of(request: web.Request) -> Hub:
    return request.app[HUB_KEY]


async def read_json(request: web.Request) -> dict[str, Any]:
    """A JSON object body, through the one input decoder. The content type must say JSON: a
    cross-origin ``text/plain`` POST (a CSRF "simple request") is refused before it is read."""
    if request.content_type != "application/json":
        raise validation_error(
            "send the body as JSON with Content-Type: application/json", field="content-type"
        )
    body = decode_json(await request.read(), MAX_JSON_BODY_BYTES)
    if not isinstance(body, dict):
        raise validation_error("request body must be a JSON object")
    return body


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None

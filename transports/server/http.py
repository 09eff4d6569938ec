"""The HTTP edge every aiohttp route shares: the hub's app key, the one JSON error shape and the
middleware that enforces it, bearer tokens and JSON bodies.

It lives apart from the REST API so that adapters serving plain HTTP (SSE) use the same edge
without importing the API's routes.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from rtspike.transports.core.errors import AppError, ErrorCode, validation_error
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger

__all__ = ["HUB_KEY", "bearer", "error_middleware", "error_response", "hub_of", "read_json"]

log = get_logger("rtspike.http")
HUB_KEY: web.AppKey[Hub] = web.AppKey("hub", Hub)

_HTTP_CODES = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def error_response(exc: AppError) -> web.Response:
    return web.json_response(exc.to_dict(), status=exc.status)


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure leaves in the one JSON shape; nothing internal leaks."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except AppError as exc:
        log.info(
            "http.error",
            path=request.path,
            method=request.method,
            code=exc.code.value,
            status=exc.status,
        )
        return error_response(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, ErrorCode.VALIDATION_ERROR)
        log.info(
            "http.error",
            path=request.path,
            method=request.method,
            code=code.value,
            status=exc.status,
        )
        return error_response(AppError(code, exc.reason, status=exc.status))
    except Exception:
        log.exception("http.internal_error", path=request.path, method=request.method)
        return error_response(AppError(ErrorCode.INTERNAL, "internal error"))


def hub_of(request: web.Request) -> Hub:
    return request.app[HUB_KEY]


async def read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json(loads=json.loads)
    except web.HTTPRequestEntityTooLarge:
        raise
    except ValueError:
        raise validation_error("request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise validation_error("request body must be a JSON object")
    return body


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None

"""One error tree for REST, every transport and the clients.

Every refusal the system makes is an ``AppError``: a stable ``code`` that clients branch on, an
HTTP status, and the realtime close code that carries the same meaning on a live connection.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any


class ErrorCode(StrEnum):
    AUTH_REQUIRED = "AUTH_REQUIRED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    FORBIDDEN_ROLE = "FORBIDDEN_ROLE"
    TEAM_BOUNDARY_VIOLATION = "TEAM_BOUNDARY_VIOLATION"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    SLOW_CONSUMER = "SLOW_CONSUMER"
    TRANSPORT_UNAVAILABLE = "TRANSPORT_UNAVAILABLE"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    INTERNAL = "INTERNAL"


class CloseCode(IntEnum):
    """What ended a live connection, on the wire. 4000-4499: reconnect (maybe after refreshing
    the token); 4500-4999: terminal. ``NORMAL`` and ``ABNORMAL`` are RFC 6455's own."""

    NORMAL = 1000
    ABNORMAL = 1006
    TOKEN_EXPIRED = 4001
    SLOW_CONSUMER = 4008
    SERVER_RESTART = 4012
    RATE_LIMITED = 4029
    PROTOCOL_ERROR = 4400
    AUTH_INVALID = 4501
    FORBIDDEN_ROLE = 4503


RECONNECT_RANGE = range(4000, 4500)
TERMINAL_RANGE = range(4500, 5000)

# The one close-code table, error code -> close code. Several errors share a close code (a
# revoked and an expired token both mean "reconnect with a new token"); which one it was
# travels as data beside the close (the ``error`` event or frame), never in the reason text.
CLOSE_CODES: dict[ErrorCode, CloseCode] = {
    ErrorCode.AUTH_REQUIRED: CloseCode.AUTH_INVALID,
    ErrorCode.TOKEN_EXPIRED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.TOKEN_REVOKED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.SESSION_EXPIRED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.FORBIDDEN_ROLE: CloseCode.FORBIDDEN_ROLE,
    ErrorCode.SLOW_CONSUMER: CloseCode.SLOW_CONSUMER,
    ErrorCode.RATE_LIMITED: CloseCode.RATE_LIMITED,
    ErrorCode.TRANSPORT_UNAVAILABLE: CloseCode.SERVER_RESTART,
}
DEFAULT_CLOSE = CloseCode.PROTOCOL_ERROR

# The other direction: what a bare close code means when nothing else was said (a client that
# saw only the close, a third-party client). ``NORMAL`` and ``ABNORMAL`` carry no error.
ERRORS_BY_CLOSE: dict[CloseCode, ErrorCode] = {
    CloseCode.TOKEN_EXPIRED: ErrorCode.TOKEN_EXPIRED,
    CloseCode.SLOW_CONSUMER: ErrorCode.SLOW_CONSUMER,
    CloseCode.SERVER_RESTART: ErrorCode.TRANSPORT_UNAVAILABLE,
    CloseCode.RATE_LIMITED: ErrorCode.RATE_LIMITED,
    CloseCode.PROTOCOL_ERROR: ErrorCode.VALIDATION_ERROR,
    CloseCode.AUTH_INVALID: ErrorCode.AUTH_REQUIRED,
    CloseCode.FORBIDDEN_ROLE: ErrorCode.FORBIDDEN_ROLE,
}


def close_code_for(code: ErrorCode) -> CloseCode:
    return CLOSE_CODES.get(ErrorCode(code), DEFAULT_CLOSE)


def error_for_close(close_code: int) -> ErrorCode | None:
    """The error a bare close code stands for; None for a normal or abnormal close."""
    try:
        return ERRORS_BY_CLOSE.get(CloseCode(close_code))
    except ValueError:
        return ErrorCode.INTERNAL if close_code in TERMINAL_RANGE else None


def should_reconnect(close_code: int) -> bool:
    """The one reconnect rule: everything but the terminal range is worth retrying."""
    return close_code not in TERMINAL_RANGE


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.TOKEN_REVOKED: 401,
    ErrorCode.SESSION_EXPIRED: 401,
    ErrorCode.FORBIDDEN_ROLE: 403,
    ErrorCode.TEAM_BOUNDARY_VIOLATION: 403,
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SLOW_CONSUMER: 503,
    ErrorCode.TRANSPORT_UNAVAILABLE: 503,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INTERNAL: 500,
}


class RtspikeError(Exception):
    """The root of every exception the project raises on purpose. Library errors (aiohttp,
    httpx, python-socketio, websockets) are mapped to one of these at the adapter edge, so a
    caller catches our types only."""


class AppError(RtspikeError):
    """A refusal with a stable code; safe to show to the client (never carries a token)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.status = status if status is not None else _STATUS[self.code]
        self.details: dict[str, Any] = details or {}

    @property
    def close_code(self) -> int:
        """Close code for a live connection refused or ended with this error."""
        return int(close_code_for(self.code))

    def to_dict(self) -> dict[str, Any]:
        body = {"code": self.code.value, "message": self.message, "details": self.details}
        return {"error": body}

    def close_payload(self) -> dict[str, Any]:
        """What every transport sends just before it ends a live connection for this error:
        the one error shape plus the close code (Socket.IO and SSE ``error`` events, the raw
        WebSocket ``error`` frame)."""
        return {**self.to_dict(), "close_code": self.close_code}

    def __repr__(self) -> str:
        return f"AppError({self.code.value!r}, {self.message!r})"


def auth_required(message: str = "A valid access token is required", **details: Any) -> AppError:
    return AppError(ErrorCode.AUTH_REQUIRED, message, details=details)


def validation_error(message: str, **details: Any) -> AppError:
    return AppError(ErrorCode.VALIDATION_ERROR, message, details=details)


def error_from_payload(payload: Any, status: int | None = None) -> AppError:
    """Rebuild an AppError that crossed the wire in the one JSON shape (clients use this)."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(err, dict) or err.get("code") not in ErrorCode.__members__:
        return AppError(ErrorCode.INTERNAL, f"unexpected error payload: {payload!r}"[:300], status)
    details = err.get("details") if isinstance(err.get("details"), dict) else {}
    return AppError(ErrorCode(err["code"]), str(err.get("message", "")), status, details)


def closure_from_payload(payload: Any) -> tuple[int, AppError] | None:
    """A received close payload (``AppError.close_payload``) as (close code, error); None when
    ``payload`` is not one (an error that leaves the connection open has no close code)."""
    code = payload.get("close_code") if isinstance(payload, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code, error_from_payload(payload)

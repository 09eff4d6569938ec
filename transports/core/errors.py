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
    """4000-4499: reconnect (maybe after refreshing the token); 4500-4999: terminal."""

    NORMAL = 1000
    TOKEN_EXPIRED = 4001
    SLOW_CONSUMER = 4008
    RATE_LIMITED = 4029
    SERVER_RESTART = 4012
    PROTOCOL_ERROR = 4400
    AUTH_INVALID = 4501
    FORBIDDEN_ROLE = 4503

    @property
    def should_reconnect(self) -> bool:
        return 4000 <= self.value < 4500 or self.value == 1000


def close_code_should_reconnect(code: int) -> bool:
    """Clients see raw ints; anything outside the terminal range is worth retrying."""
    return not (4500 <= code <= 4999)


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

_CLOSE: dict[ErrorCode, CloseCode] = {
    ErrorCode.AUTH_REQUIRED: CloseCode.AUTH_INVALID,
    ErrorCode.TOKEN_EXPIRED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.TOKEN_REVOKED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.SESSION_EXPIRED: CloseCode.TOKEN_EXPIRED,
    ErrorCode.FORBIDDEN_ROLE: CloseCode.FORBIDDEN_ROLE,
    ErrorCode.SLOW_CONSUMER: CloseCode.SLOW_CONSUMER,
    ErrorCode.RATE_LIMITED: CloseCode.RATE_LIMITED,
    ErrorCode.TRANSPORT_UNAVAILABLE: CloseCode.SERVER_RESTART,
}


class AppError(Exception):
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
        return int(_CLOSE.get(self.code, CloseCode.PROTOCOL_ERROR))

    def to_dict(self) -> dict[str, Any]:
        body = {"code": self.code.value, "message": self.message, "details": self.details}
        return {"error": body}

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

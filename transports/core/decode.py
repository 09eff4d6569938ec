"""The one decoder for untrusted input on every wire (REST bodies and queries, WebSocket frames,
Socket.IO payloads, SSE cursors): whatever a client sends is either a value the rest of the
system can handle safely or a ``VALIDATION_ERROR`` / ``PAYLOAD_TOO_LARGE``, never an exception
that surfaces as a 500 (``RecursionError`` is not a ``ValueError``; a lone surrogate only fails
later, when a JWT library or SQLite encodes it; an integer of 10**30 overflows SQLite).
"""

from __future__ import annotations

import json
from typing import Any

from rtspike.transports.core.errors import AppError, ErrorCode

MAX_DEPTH = 16
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
MAX_ITEMS = 10_000
# Room for a protocol envelope (frame type, request id, cursor) around one message.
FRAME_OVERHEAD = 4096


def _invalid(message: str, **details: Any) -> AppError:
    return AppError(ErrorCode.VALIDATION_ERROR, message, details=details)


def too_large(max_bytes: int) -> AppError:
    return AppError(
        ErrorCode.PAYLOAD_TOO_LARGE, "message too large", details={"max_bytes": max_bytes}
    )


def check_text(value: str, field: str = "text") -> str:
    """Strict UTF-8: a lone surrogate (``"\\ud800"`` in JSON) has no UTF-8 encoding."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid("text is not valid UTF-8 (lone surrogate)", field=field) from None
    return value


def check_value(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """Walk an already-decoded JSON value: bounded depth, item count and integers, strict text.
    Iterative, so that the walk itself cannot recurse too deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    items = 0
    while stack:
        node, depth = stack.pop()
        items += 1
        if items > MAX_ITEMS:
            raise _invalid("too many values", max_items=MAX_ITEMS)
        if isinstance(node, str):
            check_text(node)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not MIN_INT <= node <= MAX_INT:
                raise _invalid("integer out of range", max=MAX_INT)
        elif isinstance(node, float):
            if node != node or node in (float("inf"), float("-inf")):
                raise _invalid("number out of range")
        elif isinstance(node, dict | list | tuple):
            if depth > max_depth:
                raise _invalid("nested too deep", max_depth=max_depth)
            if isinstance(node, dict):
                for key, child in node.items():
                    if not isinstance(key, str):
                        raise _invalid("object keys must be strings")
                    check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in node)
        else:
            raise _invalid("unsupported value type")
    return value


def decode_json(raw: str | bytes | bytearray, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse and check untrusted JSON text; ``max_bytes`` counts the encoded size."""
    return check_value(parse_json(raw, max_bytes, max_depth), max_depth)


def parse_json(raw: str | bytes | bytearray, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """The parsing half of ``decode_json``: size, UTF-8 and syntax, but the value unchecked (a
    protocol reads its request id from it before ``check_value`` refuses the rest)."""
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("body is not valid UTF-8") from None
    else:
        text = check_text(raw, "body")
        if not text.isascii() and len(text.encode("utf-8")) > max_bytes:
            raise too_large(max_bytes)
    try:
        value = json.loads(text)
    except RecursionError:
        raise _invalid("nested too deep", max_depth=max_depth) from None
    except ValueError:
        raise _invalid("body is not valid JSON") from None
    return value


def parse_int(text: str | None, field: str, low: int, high: int, default: int) -> int:
    """A decimal integer from a query string or a cursor: ASCII digits only (``'²'.isdigit()``
    is True and ``int('²')`` raises), within ``[low, high]``."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not low <= int(text) <= high:
        raise _invalid(f"{field} must be an integer from {low} to {high}", field=field)
    return int(text)


def is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()

"""Server-to-client frames, encoded as complete RFC 6455 frames.

A fan-out writes the same event to many sockets, so the whole frame (header included) is built
once per event and the very same ``bytes`` object is handed to every transport. The server
negotiates no compression, which is what makes a pre-built frame valid on every connection.
"""

from __future__ import annotations

import json
from typing import Any

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError
from rtspike.transports.server.framing import WS_TEXT, EventCache, ws_frame

_MESSAGE_PREFIX = b'{"type":"message","message":'
_MESSAGE_SUFFIX = b"}"
MESSAGE_PREFIX = _MESSAGE_PREFIX.decode()
FRAME_CACHE_SIZE = 4096


def text_frame(payload: bytes) -> bytes:
    return ws_frame(payload, WS_TEXT)


def encode(obj: dict[str, Any]) -> bytes:
    return text_frame(json.dumps(obj, separators=(",", ":")).encode())


def error_text(exc: AppError, request_id: str | int | None = None) -> str:
    frame: dict[str, Any] = {"type": "error"}
    if request_id is not None:
        frame["id"] = request_id
    frame["error"] = exc.to_dict()["error"]
    return json.dumps(frame, separators=(",", ":"))


def error_frame(exc: AppError, request_id: str | int | None = None) -> bytes:
    return text_frame(error_text(exc, request_id).encode())


def close_text(why: AppError) -> str:
    """The frame sent just before the server ends a connection (or refuses one): the one close
    payload, so a client tells a logout from an expiry without parsing the close reason."""
    return json.dumps({"type": "error", **why.close_payload()}, separators=(",", ":"))


def close_frame(why: AppError) -> bytes:
    return text_frame(close_text(why).encode())


def ack_frame(event: MessageEvent, request_id: str | int | None) -> bytes:
    head = json.dumps({"type": "ack", "id": request_id}, separators=(",", ":"))[:-1]
    return text_frame(f'{head},"message":{event.wire()}}}'.encode())


def message_frame(event: MessageEvent) -> bytes:
    return text_frame(_MESSAGE_PREFIX + event.wire().encode() + _MESSAGE_SUFFIX)


def frame_cache() -> EventCache[bytes]:
    """Push frames by event; catch-up replays rebuild events from the log, so a small map
    keyed by message id serves those too."""
    return EventCache(message_frame, FRAME_CACHE_SIZE)

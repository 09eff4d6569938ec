"""Server-to-client frames, encoded as complete RFC 6455 frames.

A fan-out writes the same event to many sockets, so the whole frame (header included) is built
once per event and the very same ``bytes`` object is handed to every transport. The server
negotiates no compression, which is what makes a pre-built frame valid on every connection.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError

_FIN_TEXT = 0x81
_MESSAGE_PREFIX = b'{"type":"message","message":'
_MESSAGE_SUFFIX = b"}"
MESSAGE_PREFIX = _MESSAGE_PREFIX.decode()


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final text frame (servers never mask)."""
    n = len(payload)
    if n < 126:
        header = bytes((_FIN_TEXT, n))
    elif n < 65536:
        header = struct.pack("!BBH", _FIN_TEXT, 126, n)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, n)
    return header + payload


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


def ack_frame(event: MessageEvent, request_id: str | int | None) -> bytes:
    head = json.dumps({"type": "ack", "id": request_id}, separators=(",", ":"))[:-1]
    return text_frame(f'{head},"message":{event.wire()}}}'.encode())


class FrameCache:
    """Push frames by event: the last event is an identity hit (a fan-out loop offers one event
    to every subscriber in a row); catch-up replays rebuild events from the log, so a small
    map keyed by message id serves those."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._by_id: dict[str, bytes] = {}
        self._last: MessageEvent | None = None
        self._last_frame = b""

    def message(self, event: MessageEvent) -> bytes:
        if event is self._last:
            return self._last_frame
        frame = self._by_id.get(event.id)
        if frame is None:
            frame = text_frame(_MESSAGE_PREFIX + event.wire().encode() + _MESSAGE_SUFFIX)
            if len(self._by_id) >= self._size:
                del self._by_id[next(iter(self._by_id))]
            self._by_id[event.id] = frame
        self._last, self._last_frame = event, frame
        return frame

    def __len__(self) -> int:
        return len(self._by_id)

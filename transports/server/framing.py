"""What the adapters write: bytes built once per event and shared by every connection.

- ``EventCache``: the event's bytes on the wire are built once and shared by every connection
  (one slot for the event being fanned out, optionally a small map for catch-up replays);
- ``ws_frame``: the RFC 6455 frame builder that Socket.IO and raw WebSocket both write through;
- ``chunk``: HTTP/1.1 chunked framing, what SSE bodies are after the headers.

How those bytes reach a socket is ``outbox.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Generic, TypeVar

from rtspike.transports.core.envelope import MessageEvent

__all__ = ["WS_BINARY", "WS_TEXT", "EventCache", "chunk", "ws_frame"]

WS_TEXT = 0x81
WS_BINARY = 0x82

T = TypeVar("T")


def ws_frame(payload: bytes, opcode: int = WS_TEXT) -> bytes:
    """One unmasked, final server-to-client WebSocket frame (servers never mask, and no
    compression is negotiated, which is what makes one pre-built frame valid on every socket)."""
    n = len(payload)
    if n < 126:
        return bytes((opcode, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", opcode, 126, n) + payload
    return struct.pack("!BBQ", opcode, 127, n) + payload


def chunk(data: bytes) -> bytes:
    """HTTP/1.1 chunked framing of one write (SSE bodies after the headers)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


class EventCache(Generic[T]):
    """``encode(event)`` once per event. The hub offers one event to every subscriber before
    the next, so the identity slot hits for all but the first connection; catch-up replays
    rebuild events from the log (new objects), which ``size`` > 0 serves by message id."""

    __slots__ = ("_by_id", "_encode", "_last", "_last_value", "_size", "get")

    def __init__(self, encode: Callable[[MessageEvent], T], size: int = 0) -> None:
        self._encode = encode
        self._size = size
        self._by_id: dict[str, T] = {}
        self._last: MessageEvent | None = None
        self._last_value: T | None = None
        # Hot path: a plain bound method is cheaper to call than an instance's ``__call__``.
        self.get: Callable[[MessageEvent], T] = self._get

    def __call__(self, event: MessageEvent) -> T:
        return self._get(event)

    def _get(self, event: MessageEvent) -> T:
        if event is self._last:
            return self._last_value  # type: ignore[return-value]
        value = self._by_id.get(event.id) if self._size else None
        if value is None:
            value = self._encode(event)
            if self._size:
                if len(self._by_id) >= self._size:
                    del self._by_id[next(iter(self._by_id))]
                self._by_id[event.id] = value
        self._last, self._last_value = event, value
        return value

    def __len__(self) -> int:
        return len(self._by_id)

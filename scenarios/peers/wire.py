"""The slice of rtspike's wire (DESIGN.md section 3) a baseline server needs so that the lean
receivers of ``scenarios/lean.py`` count its deliveries unchanged; the Node baselines in
``node/`` speak the same."""

from __future__ import annotations

import json
import struct
from typing import Any

WS_PATH = "/realtime/ws"
SSE_PATH = "/realtime/sse"
CONTROL_PATH = "/peer/control"
HEALTH_PATH = "/api/v1/healthz"
_FIN_TEXT = 0x81


def ws_message(message: dict[str, Any]) -> str:
    return json.dumps({"type": "message", "message": message}, separators=(",", ":"))


def text_frame(payload: bytes) -> bytes:
    """One unmasked final RFC 6455 text frame (no compression is negotiated)."""
    n = len(payload)
    if n < 126:
        return bytes((_FIN_TEXT, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", _FIN_TEXT, 126, n) + payload
    return struct.pack("!BBQ", _FIN_TEXT, 127, n) + payload


def sse_event(event_id: int, data: bytes) -> bytes:
    return b"id: %d\nevent: message\ndata: %b\n\n" % (event_id, data)

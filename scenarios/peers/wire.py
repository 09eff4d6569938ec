"""The slice of rtspike's wire (DESIGN.md section 3) a baseline server needs so that the lean
receivers of ``scenarios/lean.py`` count its deliveries unchanged; the Node baselines in
``node/`` speak the same."""

from __future__ import annotations

import json
from typing import Any

from rtspike.transports.server.writer import ws_frame

WS_PATH = "/realtime/ws"
SSE_PATH = "/realtime/sse"
CONTROL_PATH = "/peer/control"
HEALTH_PATH = "/api/v1/healthz"


def ws_message(message: dict[str, Any]) -> str:
    return json.dumps({"type": "message", "message": message}, separators=(",", ":"))


def text_frame(payload: bytes) -> bytes:
    """One unmasked final RFC 6455 text frame (no compression is negotiated): the server's own
    frame builder, so the baseline writes byte-identical frames."""
    return ws_frame(payload)


def sse_event(event_id: int, data: bytes) -> bytes:
    return b"id: %d\nevent: message\ndata: %b\n\n" % (event_id, data)

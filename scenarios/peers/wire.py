"""What every baseline server shares, whatever its transport: the control socket that tells
it to broadcast, the health path the process manager polls, and compact JSON. The rest of the
wire (DESIGN.md section 3), the slice a transport's lean receivers need to count deliveries,
is in that transport's ``baselines/``; the Node baselines speak the same."""

from __future__ import annotations

import json
from typing import Any

CONTROL_PATH = "/peer/control"
"""One WebSocket: ``{"room", "message"}`` in, ``"ok"`` back once the broadcast is fanned out."""
HEALTH_PATH = "/api/v1/healthz"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

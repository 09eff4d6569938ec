"""What every baseline server shares, whatever its transport: the control socket (and its REST
twin) that tells it to broadcast, the health path the process manager polls, and compact JSON.
The rest of the wire (DESIGN.md section 3), the slice a transport's lean receivers need to count
deliveries, is in that transport's ``baselines/``; the Node baselines speak the same."""

from __future__ import annotations

import json
from typing import Any

CONTROL_PATH = "/peer/control"
"""One WebSocket: ``{"room", "message"}`` in, ``"ok"`` back once the broadcast is fanned out."""
BROADCAST_PATH = "/peer/broadcast"
"""The control socket's REST twin: ``POST {"room", "message"}`` -> 200 ``ok`` once fanned out.
It drives the baselines of a transport whose sends go up over REST, so that the generator
sends to them exactly as it sends to rtspike (one POST per broadcast on the same session)."""
HEALTH_PATH = "/api/v1/healthz"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))

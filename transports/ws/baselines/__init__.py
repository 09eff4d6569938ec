"""Bare-library ws servers for ``rtspike bench peers`` (declared in the spec's ``baselines``).

Bench code: the adapter never imports it. Each speaks the slice of rtspike's ws wire (DESIGN.md
section 3) the lean receiver needs (auth frame in, ``{"type":"ready"}`` out, then message
frames), so the same receivers count its deliveries.
"""

from __future__ import annotations

from typing import Any

from rtspike.scenarios.peers.wire import compact
from rtspike.transports.ws import SPEC

__all__ = ["PATH", "READY", "message_text"]

PATH = SPEC.paths[0]
READY = compact({"type": "ready"})


def message_text(message: dict[str, Any]) -> str:
    return compact({"type": "message", "message": message})

"""A real ws-only server per test, plus raw protocol access for frame-level tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from rtspike.transports.ws.client import ws_url
from tests.contract.conftest import Node


async def raw(node: Node) -> ClientConnection:
    return await connect(ws_url(node.url), compression=None, close_timeout=2)


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame

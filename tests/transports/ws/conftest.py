"""A real ws-only server per test, plus raw protocol access for frame-level tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.contract.conftest import Harness, Node, contract_settings, start_node
from transports.ws.client import ws_url


@pytest.fixture
async def node(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Node]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    n = await start_node(contract_settings(tmp_path / "node", **overrides), "ws")
    yield n
    await n.server.close()


@pytest.fixture
async def harness(node: Node) -> AsyncIterator[Harness]:
    h = Harness("ws", [node])
    yield h
    await h.aclose()


async def raw(node: Node) -> ClientConnection:
    return await connect(ws_url(node.url), compression=None, close_timeout=2)


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame

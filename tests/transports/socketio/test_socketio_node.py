"""The official JS client (npm socket.io-client, in Node) against a real rtspike server."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.contract.conftest import Harness, contract_settings, start_node

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "transports" / "web"
PROBE = ROOT / "transports" / "socketio" / "web" / "node-probe.cjs"
SUP, ENUM = "sup.lga-01", "enum.lga-01.001"


def _node_or_skip() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (WEB / "node_modules" / "socket.io-client").is_dir():
        problem = "socket.io-client is missing: run `cd transports/web && npm install`"
    require(problem)
    assert node is not None
    return node


_running: list[asyncio.subprocess.Process] = []


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    node = await start_node(contract_settings(tmp_path), "socketio")
    h = Harness("socketio", [node])
    yield h
    while _running:
        proc = _running.pop()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    await h.aclose()
    await node.server.close()


class Probe:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []

    async def next_line(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        assert raw, f"probe ended early; stderr: {await self._stderr()}"
        line: dict[str, Any] = json.loads(raw)
        self.lines.append(line)
        return line

    async def finish(self, timeout: float = 10.0) -> int:
        while True:
            assert self.proc.stdout is not None
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
            if not raw:
                break
            self.lines.append(json.loads(raw))
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def _stderr(self) -> str:
        assert self.proc.stderr is not None
        return (await self.proc.stderr.read()).decode()[-2000:]


async def run_probe(url: str, token: str, expect: int, transports: str) -> Probe:
    node = _node_or_skip()
    proc = await asyncio.create_subprocess_exec(
        node,
        str(PROBE),
        url,
        token,
        str(expect),
        transports,
        "10000",
        env={**os.environ, "NODE_PATH": str(WEB / "node_modules")},  # the probe is outside WEB
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _running.append(proc)
    return Probe(proc)


@pytest.mark.parametrize("transports", ["websocket", "polling,websocket"])
async def test_function_auth_connects_and_receives_a_python_supervisors_message(
    harness: Harness, transports: str
) -> None:
    probe = await run_probe(harness.url(), await harness.token(ENUM), 2, transports)
    connected = await probe.next_line()
    assert connected["type"] == "connected", probe.lines
    assert connected["transport"] == transports.split(",")[0]
    sup = await harness.connect(SUP)
    await sup.client.send({"broadcast": True, "body": "to-node", "client_msg_id": "n-1"})
    direct = {"to": harness.user_id(ENUM), "body": "just-node", "client_msg_id": "n-2"}
    await sup.client.send(direct)
    assert await probe.finish() == 0, probe.lines
    events = [line["event"] for line in probe.lines if line["type"] == "message"]
    assert [e["body"] for e in events] == ["to-node", "just-node"]
    assert [e["seq"] for e in events] == [1, 1]
    assert events[0]["sender"] == harness.user_id(SUP) and events[0]["stream"] == "lga:lga-01"


async def test_bad_token_gets_structured_connect_error(harness: Harness) -> None:
    probe = await run_probe(harness.url(), "not.a.jwt", 1, "websocket")
    assert await probe.finish() == 2, probe.lines
    refused = probe.lines[-1]
    assert refused["type"] == "connect_error"
    assert refused["data"]["error"]["code"] == "AUTH_REQUIRED"
    assert refused["data"]["close_code"] == 4501
    assert refused["message"] == refused["data"]["error"]["message"]

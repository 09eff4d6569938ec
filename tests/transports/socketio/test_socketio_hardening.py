"""Socket.IO under hostile clients, at the Engine.IO/Socket.IO packet level."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from rtspike.transports.socketio.server import SIO_KEY
from tests.contract.conftest import Harness, Node


def eio_url(node: Node) -> str:
    return node.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


async def open_session(node: Node) -> ClientConnection:
    ws = await connect(eio_url(node), compression=None)
    opened = await asyncio.wait_for(ws.recv(), 5)
    assert isinstance(opened, str) and opened.startswith("0{")
    return ws


async def pong_until_closed(ws: ClientConnection, timeout: float) -> list[str]:
    """Answer every Engine.IO ping, like a live but silent client; return what arrived."""
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        try:
            while True:
                packet = await ws.recv()
                seen.append(str(packet))
                if packet == "2":
                    await ws.send("3")
        except ConnectionClosed:
            return seen


@pytest.mark.parametrize("node", [{"auth_timeout_s": 1.0, "keepalive_s": 0.3}], indirect=True)
async def test_an_engineio_session_that_never_connects_is_cut(node: Node) -> None:
    sessions = [await open_session(node) for _ in range(5)]
    seen = await asyncio.gather(*(pong_until_closed(ws, 10.0) for ws in sessions))
    assert all("2" in s for s in seen), "the sessions were alive (pinged) until cut"
    sio = node.server.app[SIO_KEY].sio
    for _ in range(100):
        if not sio.eio.sockets:
            break
        await asyncio.sleep(0.05)
    assert not sio.eio.sockets


@pytest.mark.parametrize(
    "packet",
    [
        "40" + "[" * 5000 + "]" * 5000,
        "40" + json.dumps({"token": "x", "cursor": "c1ZXxsZ2E6bGdhLTAxPcKy"}),
        '40{"token": "\\ud800"}',
        "40{nope",
    ],
    ids=["deep", "unicode-digit-cursor", "surrogate", "broken"],
)
async def test_a_hostile_connect_gets_connect_error(
    node: Node, harness: Harness, packet: str
) -> None:
    ws = await open_session(node)
    await ws.send(packet)
    reply = await asyncio.wait_for(ws.recv(), 5)
    assert isinstance(reply, str) and reply.startswith("44"), reply[:80]
    body = json.loads(reply[2:])
    assert body["data"]["error"]["code"] in ("VALIDATION_ERROR", "AUTH_REQUIRED")
    assert "close_code" in body["data"]
    await ws.close()
    sup = await harness.connect("sup.lga-01")
    enum = await harness.connect("enum.lga-01.001")
    await sup.client.send({"broadcast": True, "body": "fine", "client_msg_id": "f1"})
    await enum.wait_for(1)


async def test_an_undecodable_event_is_answered_and_logged_once(
    node: Node, harness: Harness
) -> None:
    from structlog.testing import capture_logs

    token = await harness.token("sup.lga-01")
    ws = await open_session(node)
    await ws.send("40" + json.dumps({"token": token}))
    assert (await asyncio.wait_for(ws.recv(), 5)).startswith("40")
    with capture_logs() as logs:
        await ws.send("42" + "[" * 5000 + "]" * 5000)
        while True:
            reply = str(await asyncio.wait_for(ws.recv(), 5))
            if reply.startswith("42"):
                break
    assert json.loads(reply[2:])[0] == "error"
    assert json.loads(reply[2:])[1]["error"]["code"] == "VALIDATION_ERROR"
    assert len([x for x in logs if x["event"] == "realtime.bad_frame"]) == 1
    await ws.close()


@pytest.mark.parametrize("node", [{"queue_bound": 50}], indirect=True)
async def test_a_client_that_never_reads_its_acks_is_cut(node: Node, harness: Harness) -> None:
    import socket

    from tests.memory import rss_mib

    before = rss_mib()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = node.url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    ws = await connect(eio_url(node), sock=sock, compression=None)
    await ws.recv()
    await ws.send("40" + json.dumps({"token": await harness.token("sup.lga-01")}))
    assert str(await asyncio.wait_for(ws.recv(), 5)).startswith("40")
    ws.transport.pause_reading()
    sent = 0
    try:
        for sent in range(1, 60_001):
            await ws.send(f'42{sent}["nope",1]')  # an error event and an error ack each
            await asyncio.sleep(0)  # the server runs in this process: let it keep up
            if sent % 50 == 0 and node.hub.connection_count == 0:
                break
    except ConnectionClosed:
        pass
    for _ in range(100):
        if node.hub.connection_count == 0:
            break
        await asyncio.sleep(0.05)
    assert node.hub.connection_count == 0, "the non-reading client was never cut"
    assert sent < 60_000
    grown = rss_mib() - before
    assert grown < 32, (sent, grown)
    enum = await harness.connect("enum.lga-01.001")
    sup = await harness.connect("sup.lga-01")
    await sup.client.send({"broadcast": True, "body": "fine", "client_msg_id": "f2"})
    await enum.wait_for(1)

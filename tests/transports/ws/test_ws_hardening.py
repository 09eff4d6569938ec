"""The raw ws transport against clients that send without reading, and hostile frames on the
wire that the Python client cannot produce."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from structlog.testing import capture_logs
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from rtspike.transports.ws.client import ws_url
from tests.contract.conftest import Harness, Node
from tests.memory import rss_mib
from tests.transports.ws.conftest import raw, recv_json

SUP, EN1 = "sup.lga-01", "enum.lga-01.001"
QUEUE_BOUND = 50


def small_socket(node: Node) -> socket.socket:
    """A client socket with a tiny receive buffer, so that not reading backs up at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = node.url.removeprefix("http://").split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    return sock


async def wait_until(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    "node", [{"queue_bound": QUEUE_BOUND, "log_lines_per_client": 10}], indirect=True
)
async def test_a_client_that_never_reads_its_replies_is_cut(node: Node, harness: Harness) -> None:
    before = rss_mib()
    ws = await connect(ws_url(node.url), sock=small_socket(node), compression=None)
    await ws.send(json.dumps({"type": "auth", "token": await harness.token(SUP)}))
    assert (await recv_json(ws))["type"] == "ready"
    ws.transport.pause_reading()
    sent = 0
    with capture_logs() as logs:
        try:
            for sent in range(1, 80_001):
                await ws.send("x")
                if sent % 50 == 0:
                    await asyncio.sleep(0)  # the server runs in this process: let it read
                    if node.hub.connection_count == 0:
                        break
        except ConnectionClosed:
            pass
        await wait_until(lambda: node.hub.connection_count == 0, 10.0)
    assert sent < 80_000, "the non-reading client was never cut"
    refusals = [x for x in logs if x["event"] == "realtime.bad_frame"]
    assert len(refusals) <= 10 + 2, "every refused frame was logged"
    slow = [x for x in logs if x["event"] == "realtime.disconnect"]
    assert slow and slow[0]["code"] == 4008
    assert rss_mib() - before < 32, "a non-reading client made the server hold memory"
    enum = await harness.connect(EN1)
    sup = await harness.connect(SUP)
    await sup.client.send({"broadcast": True, "body": "fine", "client_msg_id": "f1"})
    await enum.wait_for(1)


async def test_hostile_frames_get_error_frames_not_http(node: Node, harness: Harness) -> None:
    ws = await raw(node)
    await ws.send(json.dumps({"type": "auth", "token": await harness.token(SUP)}))
    assert (await recv_json(ws))["type"] == "ready"
    frames = [
        "[" * 5000 + "]" * 5000,
        '{"type": "message.send", "id": "s1", "message": {"broadcast": true, "body": "\\ud800",'
        ' "client_msg_id": "a"}}',
        '{"type": "message.send", "id": "s2", "message": {"broadcast": true, "body": "b",'
        ' "client_msg_id": "b", "sent_at_ns": ' + str(10**30) + "}}",
        '{"type": "\\udfff"}',
    ]
    for data in frames:
        await ws.send(data)
        reply = await recv_json(ws)
        assert reply["type"] == "error" and reply["error"]["code"] == "VALIDATION_ERROR", reply
    await ws.send(json.dumps({"type": "ping"}))
    assert (await recv_json(ws)) == {"type": "pong"}
    r = await harness.rest("GET", "/messages", token=await harness.token(SUP))
    assert r.json()["messages"] == []


async def test_a_hostile_auth_frame_is_refused_with_a_close_code(node: Node) -> None:
    for data in ("[" * 5000 + "]" * 5000, '{"type": "auth", "token": "\\ud800.a.b"}'):
        ws = await raw(node)
        await ws.send(data)
        frame = await recv_json(ws)
        assert frame["type"] == "error" and frame["error"]["code"] == "AUTH_REQUIRED"
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4501


async def test_an_unfinished_message_is_bounded(node: Node, harness: Harness) -> None:
    """FIN=0 continuation frames past twice the frame limit end the connection (1009)."""
    ws = await raw(node)
    await ws.send(json.dumps({"type": "auth", "token": await harness.token(SUP)}))
    assert (await recv_json(ws))["type"] == "ready"
    limit = 2 * (node.hub.settings.max_message_bytes + 4096)
    chunk = "x" * 4096

    async def fragments():  # an endless message, one continuation frame at a time
        for _ in range(limit // len(chunk) + 50):
            yield chunk

    with pytest.raises(ConnectionClosed) as info:
        await ws.send(fragments())
        await asyncio.wait_for(ws.recv(), 5)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    await wait_until(lambda: node.hub.connection_count == 0, 5.0)


@pytest.mark.parametrize(
    "node", [{"max_connections_per_user": 50, "max_connections_per_session": 50}], indirect=True
)
async def test_unfinished_messages_on_many_connections_hold_little_memory(
    node: Node, harness: Harness
) -> None:
    """40 connections each park an unfinished message just under the bound (2x the frame
    limit, 40 KiB by default): the server holds at most that per connection."""
    stop = asyncio.Event()
    limit = 2 * (node.hub.settings.max_message_bytes + 4096)
    chunk = "x" * 4096
    token = await harness.token(SUP)
    sockets: list[tuple[object, asyncio.Task[None]]] = []
    before = rss_mib()

    async def park(ws: object) -> None:
        async def fragments():
            for _ in range(limit // len(chunk) - 1):
                yield chunk
            await stop.wait()  # never finish the message
            yield chunk

        try:
            await ws.send(fragments())  # type: ignore[attr-defined]
        except ConnectionClosed:
            pass

    for _ in range(40):
        ws = await raw(node)
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert (await recv_json(ws))["type"] == "ready"
        sockets.append((ws, asyncio.create_task(park(ws))))
    await asyncio.sleep(0.5)
    grown = rss_mib() - before
    assert grown < 16, f"RSS grew {grown:.1f} MiB for 40 unfinished messages"
    assert node.hub.connection_count == 40
    stop.set()
    for ws, task in sockets:
        task.cancel()
        await ws.close()  # type: ignore[attr-defined]

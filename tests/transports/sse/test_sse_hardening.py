"""SSE readers that stall, during catch-up and live: each is cut (4008) after the stall
timeout or at its queue bound, the server's memory stays within the documented bound, every
message stays in the log, and another client is served throughout."""

from __future__ import annotations

import asyncio
import socket

import pytest

from rtspike.transports.sse.server import connections
from tests.contract.conftest import Harness, Node
from tests.memory import rss_mib

SUP, EN1 = "sup.lga-01", "enum.lga-01.001"
BODY = "y" * 3500
READERS = 5
QUEUE_BOUND = 100


async def stalled_reader(node: Node, token: str) -> socket.socket:
    """Opens the stream, reads the response head, then never reads again."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    host, port = node.url.removeprefix("http://").split(":")
    await loop.sock_connect(sock, (host, int(port)))
    request = f"GET /realtime/sse HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await asyncio.wait_for(loop.sock_recv(sock, 1), 5)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


@pytest.mark.parametrize(
    "node", [{"queue_bound": QUEUE_BOUND, "stall_timeout_s": 1.0}], indirect=True
)
async def test_stalled_readers_are_cut_and_memory_stays_bounded(
    node: Node, harness: Harness
) -> None:
    hub = node.hub
    sup = await hub.authenticate(await harness.token(SUP), "test")
    for i in range(300):  # a backlog each reader must catch up on
        await hub.send(sup, {"broadcast": True, "body": BODY, "client_msg_id": f"b{i}"}, "test")
    before = rss_mib()
    socks = [await stalled_reader(node, await harness.token(EN1)) for _ in range(READERS)]
    for i in range(1200):  # live traffic while they stall
        await hub.send(sup, {"broadcast": True, "body": BODY, "client_msg_id": f"l{i}"}, "test")
        if i % 100 == 0:
            await asyncio.sleep(0)
    for _ in range(200):
        if not connections(node.server.app):
            break
        await asyncio.sleep(0.05)
    assert not connections(node.server.app), "a stalled reader stayed attached"
    assert hub.connection_count == 0
    grown = rss_mib() - before
    # documented bound: queue_bound frames per reader plus fixed socket buffers; 24 MiB is
    # generous (unbounded, the same load held ~40 MiB for 5 readers)
    assert grown < 24, f"RSS grew {grown:.1f} MiB"
    for sock in socks:
        sock.close()
    events, _, more = await hub.catch_up(sup, None, 1000)
    assert len(events) == 1000 and more, "the messages stay in the log"
    enum = await harness.connect(EN1, cursor=None)
    await enum.wait_for(1000, timeout=20)

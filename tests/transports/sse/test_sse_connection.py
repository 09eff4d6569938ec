"""The SSE LiveConnection against a fake socket: batching, the bound, cursor ids, the end."""

from __future__ import annotations

import asyncio
import json

from rtspike.transports.core.cursor import Cursor, CursorEncoder
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.principal import Principal, Role
from rtspike.transports.server.outbox import Flusher
from rtspike.transports.sse.connection import FrameCache, SseConnection
from tests.factories import make_event
from tests.transports.fakes import FakeRequest, FakeTransport


class Sock(FakeTransport):
    def events(self) -> list[bytes]:
        body = b""
        for chunk in self.writes:
            size, _, rest = chunk.partition(b"\r\n")
            assert int(size, 16) == len(rest) - 2 and rest.endswith(b"\r\n")
            body += rest[:-2]
        return [e for e in body.split(b"\n\n") if e]


class Peer(FakeRequest):
    def __init__(self) -> None:
        super().__init__()
        self.transport = Sock()


PRINCIPAL = Principal("u1", Role.ENUMERATOR, "lga-01", "jti", 0.0, 9e9, "sid")


def event(seq: int, stream: str = "lga:lga-01", epoch: str = "e1") -> MessageEvent:
    return make_event(seq, stream, epoch, mid=f"m{seq}", body=f"b{seq}")


def make(bound: int = 4, keepalive: float = 60.0) -> tuple[SseConnection, Sock, Peer]:
    peer = Peer()
    conn = SseConnection(
        PRINCIPAL,
        peer.transport,  # type: ignore[arg-type]
        peer.protocol,
        Flusher(),
        FrameCache(),
        bound,
        keepalive,
    )
    return conn, peer.transport, peer


def test_cursor_encoder_matches_cursor_encode() -> None:
    enc = CursorEncoder()
    cur = Cursor()
    assert enc(cur).decode() == cur.encode()
    for stream, seq, epoch in [
        ("lga:a", 1, "e1"),
        ("lga:a", 2, "e1"),
        ("user:%d", 7, "e1"),
        ("user:%d", 1, "e%2"),
        ("lga:a", 3, "e%2"),
    ]:
        cur.advance(stream, seq, epoch)
        assert enc(cur).decode() == cur.encode()
        assert Cursor.decode(enc(cur).decode()) == cur


async def test_pushes_in_one_iteration_leave_as_one_chunk_with_cursor_ids() -> None:
    conn, sock, _ = make()
    assert all(conn.push(event(i)) for i in (1, 2, 3))
    assert len(sock.writes) == 1, "after a quiet spell the first push leaves at once"
    await asyncio.sleep(0)
    assert len(sock.writes) == 2, "the rest of the turn shares one chunk"
    frames = sock.events()
    assert len(frames) == 3
    for i, frame in enumerate(frames, start=1):
        lines = dict(line.split(b": ", 1) for line in frame.split(b"\n"))
        assert lines[b"event"] == b"message"
        assert json.loads(lines[b"data"])["seq"] == i
        assert Cursor.decode(lines[b"id"].decode()).positions == {"lga:lga-01": i}


async def test_stalled_socket_queues_up_to_the_bound_then_refuses() -> None:
    conn, sock, writer = make(bound=4)
    runner = asyncio.create_task(conn.run())
    writer.stall()
    assert conn.push(event(1))
    await asyncio.sleep(0)
    assert sock.writes == [] and conn.queued == 1
    assert all(conn.push(event(i)) for i in (2, 3, 4))
    assert conn.push(event(5)) is False
    writer.resume()
    await asyncio.sleep(0.01)
    assert [json.loads(f.split(b"data: ")[1])["seq"] for f in sock.events()] == [1, 2, 3, 4]
    conn.close(AppError(ErrorCode.TOKEN_EXPIRED, "token expired; reconnect"))
    await asyncio.wait_for(runner, 1)
    last = json.loads(sock.events()[-1].split(b"data: ")[1])
    assert last["close_code"] == 4001 and last["error"]["code"] == "TOKEN_EXPIRED"


async def test_drain_waits_for_the_peer() -> None:
    conn, _sock, writer = make(bound=4)
    runner = asyncio.create_task(conn.run())
    writer.stall()
    conn.push(event(1))
    drained = asyncio.create_task(conn.drain())
    await asyncio.sleep(0.01)
    assert not drained.done()
    writer.resume()
    await asyncio.wait_for(drained, 1)
    conn.close(AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "bye"))
    await asyncio.wait_for(runner, 1)


async def test_slow_consumer_close_drops_backlog_and_aborts_a_stuck_peer() -> None:
    conn, sock, writer = make(bound=2)
    runner = asyncio.create_task(conn.run())
    writer.stall()
    conn.push(event(1))
    conn.push(event(2))
    conn.close(AppError(ErrorCode.SLOW_CONSUMER, "slow consumer; reconnect and catch up"))
    await asyncio.wait_for(runner, 3)
    frames = sock.events()
    assert len(frames) == 1 and b'"close_code":4008' in frames[0]
    assert sock.aborted and conn.ended_by_peer


async def test_keepalive_and_a_vanished_peer() -> None:
    conn, sock, _ = make(keepalive=0.05)
    runner = asyncio.create_task(conn.run())
    async with asyncio.timeout(5):
        while len(sock.events()) < 2:
            await asyncio.sleep(0.01)
    assert sock.events()[:2] == [b": ka", b": ka"]
    sock.closing = True
    await asyncio.wait_for(runner, 1)
    assert conn.ended_by_peer
    assert conn.push(event(1)) is True

"""The per-connection writer and the frame encoder, without a network."""

from __future__ import annotations

import asyncio
import json
import struct

from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.principal import Principal, Role
from rtspike.transports.server.outbox import Flusher
from rtspike.transports.ws.connection import WsConnection
from rtspike.transports.ws.frames import ack_frame, frame_cache, text_frame
from tests.factories import make_event
from tests.transports.fakes import HIGH, FakeRequest


def event(n: int, body: str = "hi") -> MessageEvent:
    return make_event(n, body=body)


def conn_with(bound: int) -> tuple[WsConnection, FakeRequest]:
    req = FakeRequest()
    principal = Principal("u", Role.ENUMERATOR, "lga-01", "j", 0.0, 9e9, "s")
    conn = WsConnection(None, req, principal, frame_cache(), Flusher(), bound)  # type: ignore[arg-type]
    return conn, req


def parse(data: bytes) -> list[str]:
    """Decode server frames with the websockets parser (an independent implementation)."""
    reader = StreamReader()
    reader.feed_data(data)
    out = []
    while True:
        gen = Frame.parse(reader.read_exact, mask=False)
        try:
            next(gen)
        except StopIteration as stop:
            frame = stop.value
            assert frame.opcode is Opcode.TEXT and frame.fin
            out.append(frame.data.decode())
        else:
            return out


async def test_pushes_in_one_loop_iteration_share_one_write() -> None:
    conn, req = conn_with(bound=10)
    assert conn.push(event(1))
    assert len(req.transport.writes) == 1, "after a quiet spell the first push leaves at once"
    for n in range(2, 6):
        assert conn.push(event(n))
    assert len(req.transport.writes) == 1 and conn.queued == 4
    await asyncio.sleep(0)
    assert conn.queued == 0 and len(req.transport.writes) == 2
    frames = [json.loads(f) for f in parse(b"".join(req.transport.writes))]
    assert [f["message"]["seq"] for f in frames] == [1, 2, 3, 4, 5]
    assert all(f["type"] == "message" for f in frames)
    conn.push(event(6))
    await asyncio.sleep(0)
    assert len(req.transport.writes) == 3


async def test_stalled_socket_queues_up_to_the_bound_then_refuses() -> None:
    conn, req = conn_with(bound=3)
    req.transport.buffered = HIGH + 1
    req.protocol._paused = True
    assert [conn.push(event(n)) for n in range(1, 5)] == [True, True, True, False]
    await asyncio.sleep(0.01)
    assert conn.queued == 3 and req.transport.writes == [], "nothing written while stalled"
    assert not conn.push(event(4))
    conn.send_frame(text_frame(b'{"type":"pong"}'))
    assert conn.queued == 4, "replies are never refused"
    req.transport.buffered = 0
    req.protocol._paused = False
    req.protocol.resumed.set()
    await asyncio.wait_for(conn.drain(), 1)
    assert conn.queued == 0
    bodies = [json.loads(f) for f in parse(b"".join(req.transport.writes))]
    assert [b.get("message", {}).get("seq") for b in bodies] == [1, 2, 3, None]


async def test_queued_frames_keep_order_behind_the_stall() -> None:
    conn, req = conn_with(bound=10)
    conn.push(event(1))
    await asyncio.sleep(0)
    req.transport.buffered = HIGH + 1
    conn.push(event(2))
    await asyncio.sleep(0)
    req.transport.buffered = 0
    conn.push(event(3))
    assert conn.queued == 2, "a frame may not overtake the queue"
    await asyncio.wait_for(conn.drain(), 1)
    seqs = [json.loads(f)["message"]["seq"] for f in parse(b"".join(req.transport.writes))]
    assert seqs == [1, 2, 3]


async def test_closed_connection_drops_pushes_silently() -> None:
    conn, req = conn_with(bound=1)
    req.transport.closing = True
    assert conn.push(event(1))
    await asyncio.sleep(0)
    assert conn.queued == 0 and req.transport.writes == []
    conn.peer_gone(1000)
    assert conn.push(event(2)) and conn.queued == 0


def test_one_frame_object_per_event_and_valid_lengths() -> None:
    cache = frame_cache()
    e = event(1)
    assert cache(e) is cache(e)
    again = event(1)
    assert cache(again) is cache(e), "replayed copies reuse the frame"
    for size in (10, 125, 126, 65535, 65536, 70000):
        body = "x" * size
        (text,) = parse(text_frame(body.encode()))
        assert text == body
    assert struct.unpack("!BBH", text_frame(b"y" * 200)[:4]) == (0x81, 126, 200)


def test_ack_frame_is_json_with_the_request_id() -> None:
    (text,) = parse(ack_frame(event(5), 'id "quoted"'))
    frame = json.loads(text)
    assert frame["type"] == "ack" and frame["id"] == 'id "quoted"'
    assert MessageEvent.model_validate(frame["message"]) == event(5)


class FakeWs:
    def __init__(self) -> None:
        self.closed_with: tuple[int, bytes] | None = None

    async def close(self, code: int, message: bytes, drain: bool) -> None:
        self.closed_with = (code, message)


async def test_server_close_sends_the_error_frame_then_the_close_code() -> None:
    req = FakeRequest()
    ws = FakeWs()
    principal = Principal("u", Role.ENUMERATOR, "lga-01", "j", 0.0, 9e9, "s")
    conn = WsConnection(ws, req, principal, frame_cache(), Flusher(), 10)  # type: ignore[arg-type]
    conn.push(event(1))
    await asyncio.sleep(0)
    conn.push(event(2))
    conn.close(AppError(ErrorCode.TOKEN_REVOKED, "log in again"))
    conn.close(AppError(ErrorCode.TOKEN_EXPIRED, "second close is ignored"))
    for _ in range(3):
        await asyncio.sleep(0)
    frames = [json.loads(f) for f in parse(b"".join(req.transport.writes))]
    assert [f["type"] for f in frames] == ["message", "error"], "backlog dropped, error last"
    assert frames[1]["close_code"] == 4001 and frames[1]["error"]["code"] == "TOKEN_REVOKED"
    assert ws.closed_with == (4001, b"log in again") and conn.close_code == 4001

"""The per-connection writer and the frame encoder, without a network."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.principal import Principal, Role
from rtspike.transports.ws.connection import Flusher, WsConnection
from rtspike.transports.ws.frames import FrameCache, ack_frame, text_frame
from tests.factories import make_event

HIGH = 64 * 1024


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return HIGH // 4, HIGH

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> Any:
        return None


class FakeProtocol:
    def __init__(self) -> None:
        self._paused = False
        self.resumed = asyncio.Event()

    async def _drain_helper(self) -> None:
        await self.resumed.wait()


class FakeRequest:
    def __init__(self) -> None:
        self.transport = FakeTransport()
        self.protocol = FakeProtocol()


def event(n: int, body: str = "hi") -> MessageEvent:
    return make_event(n, body=body)


def conn_with(bound: int) -> tuple[WsConnection, FakeRequest]:
    req = FakeRequest()
    principal = Principal("u", Role.ENUMERATOR, "lga-01", "j", 0.0, 9e9, "s")
    conn = WsConnection(None, req, principal, FrameCache(), Flusher(), bound)  # type: ignore[arg-type]
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
    for n in range(1, 6):
        assert conn.push(event(n))
    assert req.transport.writes == [] and conn.queued == 5
    await asyncio.sleep(0)
    assert conn.queued == 0 and len(req.transport.writes) == 1
    frames = [json.loads(f) for f in parse(req.transport.writes[0])]
    assert [f["message"]["seq"] for f in frames] == [1, 2, 3, 4, 5]
    assert all(f["type"] == "message" for f in frames)
    conn.push(event(6))
    await asyncio.sleep(0)
    assert len(req.transport.writes) == 2


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
    cache = FrameCache(size=2)
    e = event(1)
    assert cache.message(e) is cache.message(e)
    again = event(1)
    assert cache.message(again) is cache.message(e), "replayed copies reuse the frame"
    for n in (2, 3, 4):
        cache.message(event(n))
    assert len(cache) == 2
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

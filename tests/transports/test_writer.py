"""The one adapter write path (``server/outbox.py``, ``server/framing.py``), without a network."""

from __future__ import annotations

import asyncio
import struct

import pytest

from rtspike.transports.server.framing import EventCache, chunk, ws_frame
from rtspike.transports.server.outbox import Flusher, Outbox
from tests.factories import make_event
from tests.transports.fakes import FakeRequest


def outbox(bound: int = 4, **kw: object) -> tuple[Outbox, FakeRequest]:
    peer = FakeRequest()
    box = Outbox(peer.transport, peer.protocol, Flusher(), bound, **kw)  # type: ignore[arg-type]
    return box, peer


async def test_bounded_writer_cuts_a_slow_consumer_at_the_bound() -> None:
    box, peer = outbox(bound=3)
    peer.stall()
    assert [box.push(b"%d" % n) for n in range(5)] == [True, True, True, False, False]
    await asyncio.sleep(0)
    assert peer.transport.writes == [] and box.queued == 3 and box.stalled
    box.send(b"reply")
    assert box.queued == 4, "replies are never refused"
    peer.resume()
    await asyncio.wait_for(box.drain(), 5)
    assert b"".join(peer.transport.writes) == b"012reply", "nothing lost, nothing reordered"
    assert box.push(b"3") is True


async def test_drain_returns_only_when_written_and_writable() -> None:
    box, peer = outbox()
    peer.stall()
    box.push(b"a")
    drained = asyncio.ensure_future(box.drain())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not drained.done() and peer.transport.writes == []
    peer.resume()
    await asyncio.wait_for(drained, 5)
    assert peer.transport.writes == [b"a"]


async def test_after_a_quiet_spell_a_push_is_written_at_once_and_the_turn_shares_one_more() -> None:
    flusher = Flusher()
    peers = [FakeRequest() for _ in range(3)]
    boxes = [Outbox(p.transport, p.protocol, flusher, 10) for p in peers]  # type: ignore[arg-type]
    for n in range(4):
        for box in boxes:
            box.push(b"m%d;" % n)
    assert [p.transport.writes for p in peers] == [[b"m0;"]] * 3, "the first one left at once"
    await asyncio.sleep(0)
    assert [p.transport.writes for p in peers] == [[b"m0;", b"m1;m2;m3;"]] * 3


async def test_busy_flusher_coalesces_one_iteration_into_one_write_per_connection() -> None:
    flusher = Flusher(quiet_s=3600.0)
    peers = [FakeRequest() for _ in range(3)]
    boxes = [Outbox(p.transport, p.protocol, flusher, 10) for p in peers]  # type: ignore[arg-type]
    for box in boxes:
        box.push(b"first;")
    await asyncio.sleep(0)
    for n in range(4):
        for box in boxes:
            box.push(b"m%d;" % n)
    assert all(p.transport.writes == [b"first;"] for p in peers), "busy: a push waits its turn"
    await asyncio.sleep(0)
    assert [p.transport.writes for p in peers] == [[b"first;", b"m0;m1;m2;m3;"]] * 3


async def test_a_push_behind_a_queued_reply_never_overtakes_it() -> None:
    box, peer = outbox(bound=4)
    box.send(b"ack;")
    box.push(b"echo;")
    assert peer.transport.writes == [] and box.queued == 2
    await asyncio.sleep(0)
    assert peer.transport.writes == [b"ack;echo;"]


async def test_wrap_frames_each_write_and_a_lost_peer_is_reported_once() -> None:
    lost: list[bool] = []
    box, peer = outbox(wrap=chunk, on_lost=lambda: lost.append(True))
    box.push(b"hello")
    await asyncio.sleep(0)
    assert peer.transport.writes == [b"5\r\nhello\r\n"]
    peer.transport.closing = True
    box.push(b"x")
    box.push(b"y")
    await asyncio.sleep(0)
    box.send(b"z")
    await asyncio.sleep(0)
    assert lost == [True] and box.queued == 0


async def test_finish_writes_the_last_frame_behind_or_instead_of_the_backlog() -> None:
    box, peer = outbox()
    peer.stall()
    box.push(b"a")
    box.push(b"b")
    box.finish(b"END", drop=False)
    assert peer.transport.writes == [b"abEND"] and box.stopped
    assert box.push(b"late") is True and box.queued == 0
    box2, peer2 = outbox()
    peer2.stall()
    box2.push(b"a")
    box2.finish(b"END", drop=True)
    assert peer2.transport.writes == [b"END"]


def test_event_cache_encodes_each_event_once() -> None:
    calls: list[int] = []

    def encode(event: object) -> bytes:
        calls.append(1)
        return b"x"

    cache = EventCache(encode)  # type: ignore[arg-type]
    event = make_event(1)
    assert all(cache(event) is cache(event) for _ in range(100))
    assert len(calls) == 1
    cache(make_event(2))
    assert len(calls) == 2
    by_id = EventCache(encode, size=2)  # type: ignore[arg-type]
    by_id(make_event(1, mid="a"))
    by_id(make_event(1, mid="a"))  # a replayed copy: a new object, the same id
    by_id(make_event(2, mid="b"))
    by_id(make_event(1, mid="a"))
    assert len(calls) == 4 and len(by_id) == 2


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_ws_frame_lengths(size: int) -> None:
    frame = ws_frame(b"y" * size)
    if size < 126:
        assert frame[:2] == bytes((0x81, size))
    elif size < 65536:
        assert struct.unpack("!BBH", frame[:4]) == (0x81, 126, size)
    else:
        assert struct.unpack("!BBQ", frame[:10]) == (0x81, 127, size)
    assert frame.endswith(b"y" * size) and len(frame) - size in (2, 4, 10)

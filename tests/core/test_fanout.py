"""core/fanout.py on its own: what one attachment is given (in order, once, or a re-sync) and
how one stream's feed repairs reordered or missing publications, with no hub and no log."""

from __future__ import annotations

import asyncio

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.fanout import Attachment, Attachments, AttachState, Feed
from rtspike.transports.core.principal import Principal, Role
from tests.core.test_hub import FakeConn
from tests.factories import make_event

STREAM = "lga:lga-01"
OTHER = "user:u1"
WHO = Principal("u1", Role.ENUMERATOR, "lga-01", "jti", 0.0, 1e12, "sid")


class Recorder:
    def __init__(self, bound: int = 100) -> None:
        self.synced: list[Attachment] = []
        self.overflowed: list[Attachment] = []
        self.atts = Attachments(self.synced.append, self.overflowed.append, bound)


def live_attachment(conn: FakeConn, positions: dict[str, int] | None = None) -> Attachment:
    return Attachment(conn, (STREAM, OTHER), "e1", dict(positions or {}), state=AttachState.LIVE)


def seqs(conn: FakeConn, stream: str = STREAM) -> list[int]:
    return [e.seq for e in conn.events if e.stream == stream]


def test_in_order_events_go_out_once_and_are_counted() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    att = live_attachment(conn)
    for seq in (1, 2, 2, 1, 3):
        rec.atts.offer(att, make_event(seq))
    assert seqs(conn) == [1, 2, 3]
    assert att.positions == {STREAM: 3}
    assert rec.atts.delivered == {"fake": 3}
    assert rec.synced == [] and rec.overflowed == []


def test_a_gap_holds_the_event_and_asks_for_a_log_read() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    att = live_attachment(conn, {STREAM: 1})
    rec.atts.offer(att, make_event(3))
    assert conn.events == [] and att.state is AttachState.PENDING
    assert rec.synced == [att]
    assert [e.seq for e in att.buffered] == [3]


def test_go_live_replays_what_arrived_during_catch_up_without_repeats() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    att = Attachment(conn, (STREAM, OTHER), "e1", {})
    for event in (make_event(2), make_event(1, stream=OTHER), make_event(1), make_event(3)):
        rec.atts.offer(att, event)
    assert conn.events == []
    att.positions = {STREAM: 1}  # what the log read already delivered
    rec.atts.go_live(att)
    assert seqs(conn) == [2, 3] and seqs(conn, OTHER) == [1]
    assert att.buffered == [] and att.state is AttachState.LIVE


def test_a_new_epoch_restarts_positions() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    att = live_attachment(conn, {STREAM: 7})
    rec.atts.offer(att, make_event(1, epoch="e2"))
    assert seqs(conn) == [1] and att.epoch == "e2" and att.positions == {STREAM: 1}


def test_a_full_connection_and_a_full_catch_up_buffer_overflow() -> None:
    rec, conn = Recorder(bound=2), FakeConn(WHO, capacity=1)
    att = live_attachment(conn)
    rec.atts.offer(att, make_event(1))
    rec.atts.offer(att, make_event(2))
    assert rec.overflowed == [att], "push refused: the connection is over its bound"
    held = Attachment(FakeConn(WHO), (STREAM,), "e1", {})
    for seq in (1, 2, 3):
        rec.atts.offer(held, make_event(seq))
    assert rec.overflowed == [att, held] and held.buffered == []


def test_a_closed_attachment_gets_nothing() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    att = live_attachment(conn)
    att.state = AttachState.CLOSED
    rec.atts.offer(att, make_event(1))
    assert conn.events == [] and att.buffered == []


async def test_feed_reorders_and_reads_a_gap_back() -> None:
    rec, conn = Recorder(), FakeConn(WHO)
    reads: list[tuple[str, int, int]] = []

    async def read_gap(stream: str, after: int, upto: int) -> list[MessageEvent]:
        reads.append((stream, after, upto))
        return [make_event(s) for s in range(after + 1, upto + 1)]

    feed = Feed(STREAM, read_gap, rec.atts)
    feed.subscribers.add(live_attachment(conn))
    feed.publish(make_event(1))
    feed.publish(make_event(4))  # 2 and 3 were dropped by the bus
    feed.publish(make_event(1))  # a duplicate publication
    for _ in range(50):
        if seqs(conn) == [1, 2, 3, 4]:
            break
        await asyncio.sleep(0.01)
    assert seqs(conn) == [1, 2, 3, 4]
    assert reads == [(STREAM, 1, 3)]
    await feed.close()


async def test_feed_skips_ahead_when_the_log_lacks_the_gap() -> None:
    """The feed must not stall the stream; each attachment then notices its own gap."""
    rec, conn = Recorder(), FakeConn(WHO)

    async def nothing(stream: str, after: int, upto: int) -> list[MessageEvent]:
        return []

    feed = Feed(STREAM, nothing, rec.atts)
    att = live_attachment(conn)
    feed.subscribers.add(att)
    feed.publish(make_event(1))
    feed.publish(make_event(3))
    for _ in range(50):
        if rec.synced:
            break
        await asyncio.sleep(0.01)
    assert seqs(conn) == [1]
    assert rec.synced == [att], "the attachment asks the log for seq 2 itself"
    assert [e.seq for e in att.buffered] == [3]
    await feed.close()

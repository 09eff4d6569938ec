"""Backoff and the delivery rules (order, dedup, gap fill, epochs) without any network."""

from __future__ import annotations

import random

import pytest

from rtspike.transports.clients.resilient.delivery import Delivery, GapUnfilled, full_jitter
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent
from tests.factories import make_event

STREAM = "lga:lga-01"


def ev(seq: int, stream: str = STREAM, epoch: str = "e1", mid: str | None = None) -> MessageEvent:
    return make_event(seq, stream, epoch, mid=mid)


class FakeRest:
    """The server's log as a list; answers ``after=<cursor>`` pages like the real endpoint."""

    def __init__(self, events: list[MessageEvent], page: int = 200) -> None:
        self.events = events
        self.page = page
        self.calls: list[str] = []
        self.fail = False

    async def __call__(self, after: str) -> tuple[list[MessageEvent], bool]:
        self.calls.append(after)
        if self.fail:
            raise OSError("server down")
        cur = Cursor.decode(after)
        rest = [e for e in self.events if e.seq > cur.after(e.stream, e.epoch)]
        return rest[: self.page], len(rest) > self.page


def seen(got: list[MessageEvent]) -> list[tuple[str, int]]:
    return [(e.stream, e.seq) for e in got]


def test_full_jitter_stays_within_zero_and_the_capped_exponential() -> None:
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = min(15.0, 0.5 * 2**attempt)
        samples = [full_jitter(attempt, 0.5, 15.0, rng) for _ in range(300)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.8 * ceiling, "jitter should use the whole window"
        assert min(samples) < 0.2 * ceiling, "full jitter reaches close to zero"
    assert full_jitter(10_000, 0.5, 15.0, rng) <= 15.0


def test_full_jitter_mean_is_half_the_window() -> None:
    rng = random.Random(1)
    samples = [full_jitter(3, 0.5, 15.0, rng) for _ in range(4000)]
    assert abs(sum(samples) / len(samples) - 2.0) < 0.15


async def test_in_order_events_are_delivered_and_advance_the_cursor() -> None:
    got: list[MessageEvent] = []
    d = Delivery(got.append, FakeRest([]))
    for seq in (1, 2, 3):
        await d.live(ev(seq))
    assert seen(got) == [(STREAM, 1), (STREAM, 2), (STREAM, 3)]
    assert Cursor.decode(d.cursor).after(STREAM, "e1") == 3


async def test_duplicates_by_seq_and_by_id_are_dropped() -> None:
    got: list[MessageEvent] = []
    d = Delivery(got.append, FakeRest([]))
    await d.live(ev(1))
    await d.live(ev(2))
    await d.live(ev(1))
    await d.live(ev(2))
    await d.live(ev(3, mid=ev(2).id))
    assert seen(got) == [(STREAM, 1), (STREAM, 2)]
    assert d.duplicates == 3 and d.delivered == 2


async def test_a_seq_jump_is_filled_from_rest_before_the_jumped_event() -> None:
    log = [ev(s) for s in range(1, 8)]
    rest = FakeRest(log, page=2)
    got: list[MessageEvent] = []
    d = Delivery(got.append, rest)
    await d.live(log[0])
    await d.live(log[1])
    await d.live(log[5])
    assert seen(got) == [(STREAM, s) for s in range(1, 7)]
    assert d.gaps_filled == 1
    assert Cursor.decode(rest.calls[0]).after(STREAM, "e1") == 2
    await d.live(log[6])
    await d.live(log[4])
    assert seen(got)[-1] == (STREAM, 7) and len(got) == 7


async def test_an_unfillable_gap_delivers_nothing_and_keeps_the_cursor() -> None:
    rest = FakeRest([ev(s) for s in range(1, 5)])
    got: list[MessageEvent] = []
    d = Delivery(got.append, rest)
    await d.live(ev(1))
    rest.fail = True
    with pytest.raises(GapUnfilled):
        await d.live(ev(4))
    assert seen(got) == [(STREAM, 1)]
    assert Cursor.decode(d.cursor).after(STREAM, "e1") == 1
    rest.fail = False
    assert await d.catch_up() == 3
    assert seen(got) == [(STREAM, s) for s in range(1, 5)]


async def test_streams_are_independent() -> None:
    other = "user:u1"
    got: list[MessageEvent] = []
    d = Delivery(got.append, FakeRest([]))
    await d.live(ev(1))
    await d.live(ev(1, stream=other))
    await d.live(ev(2, stream=other))
    await d.live(ev(2))
    assert seen(got) == [(STREAM, 1), (other, 1), (other, 2), (STREAM, 2)]


async def test_an_epoch_change_resets_positions() -> None:
    got: list[MessageEvent] = []
    d = Delivery(got.append, FakeRest([]), cursor=Cursor.of("e1", {STREAM: 9}).encode())
    await d.live(ev(9))
    await d.live(ev(1, epoch="e2"))
    await d.live(ev(2, epoch="e2"))
    assert seen(got) == [(STREAM, 1), (STREAM, 2)]
    assert Cursor.decode(d.cursor) == Cursor.of("e2", {STREAM: 2})


async def test_catch_up_follows_has_more_and_skips_what_was_seen() -> None:
    log = [ev(s) for s in range(1, 11)]
    rest = FakeRest(log, page=3)
    got: list[MessageEvent] = []
    d = Delivery(got.append, rest)
    await d.live(log[0])
    assert await d.catch_up() == 9
    assert len(rest.calls) == 3
    assert seen(got) == [(STREAM, s) for s in range(1, 11)]
    assert await d.catch_up() == 0


async def test_a_failing_handler_does_not_stop_delivery() -> None:
    got: list[int] = []

    async def handler(event: MessageEvent) -> None:
        got.append(event.seq)
        if event.seq == 2:
            raise RuntimeError("handler bug")

    d = Delivery(handler, FakeRest([]))
    for seq in (1, 2, 3):
        await d.live(ev(seq))
    assert got == [1, 2, 3]

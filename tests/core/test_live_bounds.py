"""What a stalled catch-up can make the hub hold: the live buffer and the drain wait are
bounded, the reader is cut with 4008 and every message stays in the log for its resume."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.errors import ErrorCode
from rtspike.transports.core.principal import Principal
from tests.core.test_hub import FakeConn, bcast, memory_settings, principal, settle, started


class StalledConn(FakeConn):
    """Takes what it is given but never lets a catch-up page drain."""

    def __init__(self, p: Principal) -> None:
        super().__init__(p)
        self.released = asyncio.Event()

    async def drain(self) -> None:
        await self.released.wait()


async def test_a_stalled_catch_up_is_cut_after_the_stall_timeout(tmp_path: Path) -> None:
    hub = await started(memory_settings(tmp_path, queue_bound=10, stall_timeout_s=0.3))
    try:
        sup = await principal(hub, "sup.lga-01")
        for i in range(30):
            await hub.send(sup, bcast(f"old{i}"), "fake")
        conn = StalledConn(await principal(hub, "enum.lga-01.001"))
        await hub.attach(conn, None)
        for _ in range(200):
            if conn.closed is not None:
                break
            await asyncio.sleep(0.02)
        assert conn.closed is not None and conn.closed[0] == 4008
        assert conn.ended_by.code is ErrorCode.SLOW_CONSUMER
        assert hub.connection_count == 0
        events, _, _ = await hub.catch_up(sup, Cursor(), 1000)
        assert len(events) == 30, "a cut reader's messages stay in the log"
    finally:
        await hub.stop()


async def test_live_events_held_during_catch_up_are_bounded(tmp_path: Path) -> None:
    hub = await started(
        memory_settings(tmp_path, queue_bound=10, catchup_buffer=20, stall_timeout_s=30)
    )
    try:
        sup = await principal(hub, "sup.lga-01")
        for i in range(30):
            await hub.send(sup, bcast(f"old{i}"), "fake")
        conn = StalledConn(await principal(hub, "enum.lga-01.001"))
        await hub.attach(conn, None)
        await settle()
        assert conn.closed is None
        for i in range(21):
            await hub.send(sup, bcast(f"new{i}"), "fake")
        await settle()
        assert conn.closed is not None and conn.closed[0] == 4008
        assert hub.connection_count == 0
        conn.released.set()
        fresh = FakeConn(await principal(hub, "enum.lga-01.001"))
        await hub.attach(fresh, None)
        await settle()
        assert len(fresh.events) == 51, "resuming after the cut loses nothing"
    finally:
        await hub.stop()


async def test_connection_admission_counts_per_user_and_per_session(tmp_path: Path) -> None:
    hub = await started(
        memory_settings(tmp_path, max_connections_per_user=3, max_connections_per_session=2)
    )
    try:
        a = await principal(hub, "enum.lga-01.001")
        b = await principal(hub, "enum.lga-01.001")
        conns = [FakeConn(a), FakeConn(a)]
        for c in conns:
            await hub.attach(c, None)
        for p, per in ((a, "session"), (b, None)):
            try:
                await hub.attach(FakeConn(p), None)
                refused = None
            except Exception as exc:
                refused = exc
            if per is None:
                assert refused is None
            else:
                assert refused is not None and refused.details["per"] == per  # type: ignore[attr-defined]
        c = await principal(hub, "enum.lga-01.001")
        try:
            await hub.attach(FakeConn(c), None)
        except Exception as exc:
            assert exc.code is ErrorCode.RATE_LIMITED and exc.details["per"] == "user"  # type: ignore[attr-defined]
        else:
            raise AssertionError("a fourth connection of the user was accepted")
        hub.detach(conns[0])
        await hub.attach(FakeConn(c), None)
    finally:
        await hub.stop()

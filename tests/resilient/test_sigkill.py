"""A real crash: the server process is SIGKILLed while a supervisor keeps sending, then
restarted on the same port and data directory (SQLite keeps sessions and the log)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.resilient.conftest import (
    ENUM,
    SUP,
    Inbox,
    message,
    resilient,
    send_patiently,
    server_process,
    states,
    wait_state,
)

TOTAL = 20
KILL_AFTER = 6


async def test_sigkill_restart_degrades_polls_everything_and_reconnects(
    transport: str, tmp_path: Path
) -> None:
    server = server_process(transport, tmp_path / "data")
    await server.start()
    inbox = Inbox()
    enum, tokens = resilient(server.base_url, transport, ENUM, inbox, time_scale=0.01)
    sup, sup_tokens = resilient(server.base_url, transport, SUP, lambda e: None, time_scale=0.01)
    sent = 0
    retried = 0

    async def supervisor() -> None:
        nonlocal sent, retried
        for i in range(TOTAL):
            _, failures = await send_patiently(sup.send, message(i), timeout=30)
            retried += failures
            sent += 1
            await asyncio.sleep(0.03)

    try:
        await enum.start()
        await sup.start()
        assert enum.state == sup.state == "connected"
        sender = asyncio.create_task(supervisor())
        while sent < KILL_AFTER:
            await asyncio.sleep(0.005)
        killed_at = time.monotonic()
        server.kill()
        await wait_state(enum, "degraded", timeout=10)
        await asyncio.sleep(0.3)
        assert sent < TOTAL, "the supervisor must still be sending while the server is down"
        await server.start()
        await asyncio.wait_for(sender, 30)
        await inbox.wait_for(TOTAL, timeout=15)
        await wait_state(enum, "connected", timeout=10)
        await asyncio.sleep(0.2)

        inbox.assert_exactly_once_in_order([f"m{i}" for i in range(TOTAL)])
        assert retried > 0, "sends during the outage must have failed and been retried"
        assert enum.poll_count >= 1
        after_kill = [s for t, s in enum.transitions if t >= killed_at]
        assert after_kill[0] == "connecting" and "degraded" in after_kill
        assert after_kill[-1] == "connected"
        assert states(enum)[:2] == ["connecting", "connected"]
    finally:
        await enum.stop()
        await sup.stop()
        await tokens.aclose()
        await sup_tokens.aclose()
        server.kill()

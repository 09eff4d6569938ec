"""The stall report names the innermost coroutine a stuck task waits in."""

from __future__ import annotations

import asyncio
from typing import Any

from structlog.testing import capture_logs

from rtspike.scenarios.stalls import pending_chains, report_if_still_running


async def test_pending_chains_reach_the_innermost_await() -> None:
    never = asyncio.Event()

    async def innermost_wait() -> None:
        await never.wait()

    async def outer() -> None:
        await innermost_wait()

    task = asyncio.create_task(outer(), name="stuck-one")
    await asyncio.sleep(0)
    chains = pending_chains()
    task.cancel()
    names = [line.rsplit(" ", 1)[1] for line in chains["stuck-one"]]
    assert names[:3] == ["outer", "innermost_wait", "wait"]


async def test_a_body_still_running_is_reported_once_in_one_line() -> None:
    async def slow_body(logs: list[dict[str, Any]]) -> None:
        while not any(e["event"] == "stalls.pending" for e in logs):
            await asyncio.sleep(0.01)

    with capture_logs() as logs:
        async with report_if_still_running("fixture", 0.05):
            await asyncio.wait_for(slow_body(logs), 10)
    [report] = [e for e in logs if e["event"] == "stalls.pending"]
    assert report["what"] == "fixture"
    assert any("slow_body" in " ".join(chain) for chain in report["waiting"].values())

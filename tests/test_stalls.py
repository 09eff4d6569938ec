"""The stall report names the innermost coroutine a stuck task waits in."""

from __future__ import annotations

import asyncio

from rtspike.scenarios.stalls import pending_chains


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

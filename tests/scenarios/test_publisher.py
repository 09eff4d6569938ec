"""The scenarios' REST publisher stops when told, even while its server is gone."""

from __future__ import annotations

import asyncio

from rtspike.scenarios.cases.reconnect import Publisher
from rtspike.scenarios.processes import free_port


async def test_stop_ends_the_retries_of_a_server_that_never_comes_back() -> None:
    pub = Publisher(f"http://127.0.0.1:{free_port()}", "", "gone", rate_per_s=10)
    task = asyncio.create_task(pub.run())
    await asyncio.sleep(0.3)  # long enough to be inside the retry loop; not a delivery check
    assert not task.done()
    pub.stop()
    await asyncio.wait_for(task, 10)
    assert pub.acked == {}

"""The native scenario's drain waits for our degraded client's next announced probe: under load a
restarted server may take longer to boot than the client's retries, and the client then polls on
its schedule; counting its messages lost before that probe measured the box, not the client."""

from __future__ import annotations

import asyncio

from rtspike.scenarios.cases.native import _drain, _now_ms
from rtspike.scenarios.nativeclients import OURS, ClientLog


class DegradedClient:
    """Ours, degraded, announcing its next poll ``probe_in_s`` ahead; it catches up then."""

    variant = OURS

    def __init__(self, acked: list[str], probe_in_s: float) -> None:
        self.acked = acked
        self.probe_ms = _now_ms() + probe_in_s * 1000
        self.log = ClientLog(OURS)

    async def next_probe_ms(self) -> float | None:
        return self.probe_ms if not self.log.got else None

    async def refresh(self) -> None:
        if _now_ms() >= self.probe_ms and not self.log.got:
            self.log.got = [(_now_ms(), cid) for cid in self.acked]


def test_drain_waits_for_the_degraded_clients_next_probe() -> None:
    acked = {f"m{i}": 0.0 for i in range(3)}
    client = DegradedClient(list(acked), probe_in_s=1.0)
    asyncio.run(_drain([client], acked, 0.0, {"drain_s": 0.2}))  # type: ignore[list-item]
    assert client.log.lost(set(acked)) == 0

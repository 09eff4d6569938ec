"""`rtspike bench fanout` in miniature: every delivery counted, server cost measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtspike.scenarios.benches.fanout import measure
from rtspike.transports import registry


@pytest.mark.parametrize("transport", registry.names())
async def test_burst_is_fully_delivered_and_costed(transport: str, tmp_path: Path) -> None:
    # large enough to cost several of the 10 ms CPU-clock ticks psutil can see, even for ws
    result = await measure(transport, connections=20, messages=400, workdir=tmp_path)
    assert result["delivered"] == result["expected"] == 8000
    assert result["wall_per_s"] > 0
    assert result["server_us"] > 0, "the server's CPU time was not measured"


async def test_bursts_cost_each_burst_apart(tmp_path: Path) -> None:
    """Split into bursts, each waited for until delivered: one CPU-per-delivery figure per
    burst (the repeats the report's interval comes from), and still every delivery counted.
    Bursts are large enough to cost several of the 10 ms CPU-clock ticks psutil can see."""
    result = await measure("ws", connections=20, messages=400, workdir=tmp_path, bursts=2)
    assert result["delivered"] == result["expected"] == 8000
    each = result["server_us_each"]
    assert len(each) == 2 and all(us > 0 for us in each)

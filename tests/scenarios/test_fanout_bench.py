"""`rtspike bench fanout` in miniature: every delivery counted, server cost measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtspike.scenarios.benches.fanout import measure
from rtspike.scenarios.cases.fanout import burst_loss
from rtspike.transports import registry


@pytest.mark.parametrize("transport", registry.names())
async def test_burst_is_fully_delivered_and_costed(transport: str, tmp_path: Path) -> None:
    # large enough to cost several of the 10 ms CPU-clock ticks psutil can see, even for ws
    result = await measure(transport, connections=20, messages=400, workdir=tmp_path)
    assert result["delivered"] == result["expected"] == 8000
    assert result["wall_per_s"] > 0
    assert result["server_us"] > 0, "the server's CPU time was not measured"
    assert result["receivers_cut"] == result["server_slow_cuts"] == 0


async def test_bursts_cost_each_burst_apart(tmp_path: Path) -> None:
    """Split into bursts, each waited for until delivered: one CPU-per-delivery figure per
    burst (the repeats the report's interval comes from), and still every delivery counted.
    Bursts are large enough to cost several of the 10 ms CPU-clock ticks psutil can see."""
    result = await measure("ws", connections=20, messages=400, workdir=tmp_path, bursts=2)
    assert result["delivered"] == result["expected"] == 8000
    each = result["server_us_each"]
    assert len(each) == 2 and all(us > 0 for us in each)


BURST = {"expected": 1000, "receiver_cpu_pct": 99.0}
CUT = {"delivered": 700, "receivers_cut": 3, "cut_missing": 300}


def test_a_burst_short_only_on_receivers_the_server_cut_is_receiver_overload() -> None:
    lost, why = burst_loss({**BURST, **CUT, "server_slow_cuts": 3})
    assert lost == 300 and why.startswith("receiver overloaded")


@pytest.mark.parametrize(
    "r",
    [
        # a delivery missing on a receiver that stayed connected
        {**CUT, "delivered": 699, "server_slow_cuts": 3},
        # closed early, and not all counted as slow consumers
        {**CUT, "server_slow_cuts": 2},
        {**CUT, "server_slow_cuts": None},
    ],
    ids=["open-receiver", "not-counted", "unknown-count"],
)
def test_any_other_missing_delivery_is_a_loss(r: dict[str, object]) -> None:
    lost, why = burst_loss({**BURST, **r})
    assert lost == 1000 - int(r["delivered"]) and why == ""  # type: ignore[call-overload]


def test_a_complete_burst_is_no_loss() -> None:
    r = {"delivered": 1000, "receivers_cut": 0, "cut_missing": 0, "server_slow_cuts": 0}
    assert burst_loss({**BURST, **r}) == (0, "")

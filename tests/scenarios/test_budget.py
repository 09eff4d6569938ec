"""A scenario that declares a budget is cut at it and recorded as failed; the bench goes on."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from structlog.testing import capture_logs

from rtspike.scenarios.cases import native, proxy
from rtspike.scenarios.profiles import PROFILES
from rtspike.scenarios.runner import ScenarioTimedOut, run_within_budget
from rtspike.transports import registry


class Ctx:
    def params(self, name: str) -> dict[str, Any]:
        return {}


async def test_a_run_past_its_budget_is_cut_logged_with_where_it_waits_and_cleaned_up() -> None:
    started, cleaned = asyncio.Event(), asyncio.Event()

    async def waits_for_a_peer_forever() -> None:
        await asyncio.Event().wait()

    async def run(ctx: Any, transport: str) -> None:
        started.set()
        try:
            await waits_for_a_peer_forever()
        finally:
            cleaned.set()

    mod = SimpleNamespace(NAME="stuck", run=run, budget_s=lambda p, t: 0.2)
    with (
        capture_logs() as logs,
        pytest.raises(ScenarioTimedOut, match="did not finish within its budget of 0 s"),
    ):
        await asyncio.wait_for(run_within_budget(mod, Ctx(), "any"), 30)  # type: ignore[arg-type]
    assert started.is_set() and cleaned.is_set()
    [over] = [e for e in logs if e["event"] == "bench.scenario_over_budget"]
    chains = [" ".join(chain) for chain in over["waiting"].values()]
    assert any("waits_for_a_peer_forever" in c for c in chains), chains
    assert not any("/" in line for c in over["waiting"].values() for line in c)  # no paths


async def test_a_run_within_its_budget_is_untouched() -> None:
    ran: list[str] = []

    async def run(ctx: Any, transport: str) -> None:
        ran.append(transport)

    mod = SimpleNamespace(NAME="quick", run=run, budget_s=lambda p, t: 5.0)
    await run_within_budget(mod, Ctx(), "t")  # type: ignore[arg-type]
    assert ran == ["t"]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("mod", [native, proxy], ids=["native", "proxy"])
def test_every_profile_gives_the_browser_scenarios_a_budget(profile: str, mod: Any) -> None:
    """Below the suite's 480 s fixture timeout in the tiny profile, so that a stuck run fails
    as a recorded scenario error before pytest kills the session fixture."""
    p = PROFILES[profile][mod.NAME]
    budgets = [mod.budget_s(p, t) for t in registry.names()]
    assert all(b > 0 for b in budgets)
    if profile == "tiny":
        assert max(budgets) < 480

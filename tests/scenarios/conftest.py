"""The native and proxy scenarios in their tiny profile, for every transport, all six runs at
once (each is mostly waiting on timers and browsers): one session fixture for both test files,
so that together they cost about as long as the slower of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rtspike.scenarios import browser, nginx
from rtspike.scenarios.runner import run_bench
from rtspike.scenarios.stalls import report_if_still_running
from rtspike.transports import registry
from tests.conftest import require

STALL_REPORT_S = 300.0  # about twice what the six runs take on a loaded box
Folders = dict[tuple[str, str], Path]  # (scenario, transport) -> results folder


@pytest.fixture(scope="session")
def browser_runs(tmp_path_factory: pytest.TempPathFactory) -> Folders:
    require(browser.missing() or nginx.missing())
    out = tmp_path_factory.mktemp("browser-runs")
    keys = [(s, t) for s in ("native", "proxy") for t in registry.names()]

    async def all_at_once() -> list[Path]:
        async with report_if_still_running("browser_runs", STALL_REPORT_S):
            return await asyncio.gather(
                *(run_bench("tiny", [t], [s], None, out / f"{s}-{t}") for s, t in keys)
            )

    return dict(zip(keys, asyncio.run(all_at_once()), strict=True))

"""Runs every chosen scenario against every chosen transport and writes the results folder.

A scenario that fails is recorded (metric ``error`` with the reason) and the run goes on: one
broken transport must not hide the figures of the others. A scenario that can wait on a
browser or a peer declares ``budget_s(params, transport)``, the longest its run may take; past
it the run is cut, recorded as failed, and the bench goes on instead of hanging.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from rtspike.scenarios import manifest, results, stalls
from rtspike.scenarios.catalog import SCENARIOS
from rtspike.scenarios.context import Context
from rtspike.scenarios.orchestrate import Orchestrator, settings_env
from rtspike.scenarios.profiles import PROFILES
from rtspike.scenarios.results import Results
from rtspike.transports import registry
from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.bench")
__all__ = ["SCENARIOS", "BenchInterrupted", "module", "run_bench"]


class BenchInterrupted(RtspikeError):
    """SIGINT/SIGTERM stopped the run; every process it started is stopped and what was
    measured so far is written to ``folder`` (manifest ``complete: false``)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"interrupted; partial results in {folder}")
        self.folder = folder


CLEANUP_S = 30.0


class ScenarioTimedOut(RtspikeError):
    def __init__(self, budget_s: float) -> None:
        super().__init__(f"did not finish within its budget of {budget_s:.0f} s")


async def run_within_budget(mod: ModuleType, ctx: Context, transport: str) -> None:
    """Past its budget a run is logged with what every task was waiting on, then cancelled
    (its clean-up gets ``CLEANUP_S``) and raised as ``ScenarioTimedOut``."""
    budget = getattr(mod, "budget_s", None)
    if budget is None:
        await mod.run(ctx, transport)
        return
    limit = float(budget(ctx.params(mod.NAME), transport))
    task = asyncio.ensure_future(mod.run(ctx, transport))
    try:
        done, _ = await asyncio.wait({task}, timeout=limit)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        task.result()
        return
    log.error(
        "bench.scenario_over_budget",
        scenario=mod.NAME,
        transport=transport,
        budget_s=round(limit),
        waiting=stalls.pending_chains(),
    )
    task.cancel()
    await asyncio.wait({task}, timeout=CLEANUP_S)
    raise ScenarioTimedOut(limit)


Progress = Callable[[str, str, str], None]
"""(event, scenario, transport): event is "start", "done" or "failed"."""


def module(name: str) -> ModuleType:
    return importlib.import_module(f"rtspike.scenarios.cases.{name}")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def quiet_libraries() -> None:
    for name in ("httpx", "httpcore", "aiohttp.access", "websockets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for spec in registry.specs():
        for name in spec.library_loggers:
            logging.getLogger(name).setLevel(logging.CRITICAL)


async def run_bench(
    profile: str,
    transports: list[str],
    scenarios: list[str],
    redis_url: str | None = None,
    out_root: Path | None = None,
    progress: Progress | None = None,
    status: Callable[[str], None] | None = None,
) -> Path:
    quiet_libraries()
    run_id = new_run_id()
    folder = (out_root or results.default_root()) / run_id
    started = datetime.now(UTC)
    orch = Orchestrator(folder / "work")
    ctx = Context(orch, profile, PROFILES[profile], Results(), run_id, redis_url)
    if status is not None:
        ctx.status = status
    chosen = [s for s in scenarios if redis_url or not getattr(module(s), "NEEDS_REDIS", False)]
    skipped = [s for s in scenarios if s not in chosen]
    if skipped:
        ctx.notes.append(f"skipped without --redis: {', '.join(skipped)}")
    tell = progress or (lambda *_: None)
    interrupted = False
    try:
        for transport in transports:
            for name in chosen:
                mod = module(name)
                tell("start", name, transport)
                t0 = time.monotonic()
                try:
                    await run_within_budget(mod, ctx, transport)
                except Exception as exc:
                    log.error(
                        "bench.scenario_failed",
                        scenario=name,
                        transport=transport,
                        error=f"{type(exc).__name__}: {exc}",
                    )
                    ctx.results.add(
                        name,
                        transport,
                        "error",
                        1,
                        "count",
                        valid=False,
                        note=f"{type(exc).__name__}: {str(exc)[:300]}",
                    )
                    await ctx.stop_shared()
                    tell("failed", name, transport)
                else:
                    tell("done", name, transport)
                ctx.results.add(name, transport, "wall_s", time.monotonic() - t0, "s")
            await ctx.stop_shared()
    except (asyncio.CancelledError, KeyboardInterrupt):
        interrupted = True
    finally:
        await orch.stop_all()
    data = manifest.build(
        run_id,
        profile,
        PROFILES[profile],
        settings_env(orch),
        transports,
        chosen,
        ctx.clients,
        started,
        redis_url,
        ctx.notes,
        complete=not interrupted,
    )
    ctx.results.write(folder, data)
    if interrupted:
        raise BenchInterrupted(folder)
    return folder

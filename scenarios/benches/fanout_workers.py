"""`rtspike bench fanout --workers N`: does a pool of N workers cost more per delivery than one?

Both arms run on the same Redis store, log and bus (a redis-server of our own, whose CPU counts
as server CPU: it is part of what the pool costs), alternating 1 worker and N workers for
``repeats`` rounds, each arm with its own key prefix so that no round deduplicates another's
sends. The ratio N / 1 of server CPU per delivery is taken within a round; exactly-once is
checked per receiver (every broadcast once, none twice).

The VPS line turns the N-worker cost into what a machine with ``VPS_VCPUS`` would carry at a
utilisation that leaves room for the tail (``VPS_UTILISATION``).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path
from typing import Any

from rich.table import Table

from rtspike.console import console
from rtspike.scenarios.benches.fanout import measure
from rtspike.scenarios.orchestrate import Orchestrator
from rtspike.transports.core.logging import configure_logging

VPS_VCPUS = 8
VPS_UTILISATION = 0.6


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ±{(max(values) - min(values)) / 2:.2f}"


async def compare(
    transport: str, connections: int, messages: int, workers: int, repeats: int, workdir: Path
) -> list[dict[str, Any]]:
    orch = Orchestrator(workdir)
    rows: list[dict[str, Any]] = []
    try:
        redis = await orch.redis_server()
        assert redis.proc is not None
        for r in range(repeats):
            arms = (1, workers) if r % 2 == 0 else (workers, 1)
            for w in arms:
                settings = {
                    "store_url": redis.url,
                    "log_url": redis.url,
                    "bus_url": redis.url,
                    "redis_prefix": f"fanout-{transport}-{r}-{w}",
                }
                res = await measure(
                    transport,
                    connections,
                    messages,
                    workdir / f"{transport}-{r}-{w}",
                    orch,
                    workers=w,
                    settings=settings,
                    extra_pids=(redis.proc.pid,),
                )
                rows.append({**res, "round": r})
    finally:
        await orch.stop_all()
    return rows


def main(transports: list[str], connections: int, messages: int, workers: int, repeats: int) -> int:
    configure_logging("WARNING")
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="rtspike-fanout-workers-") as tmp:
        for t in transports:
            with console.status(f"fan-out {t}: 1 vs {workers} workers on Redis, {repeats} rounds"):
                results[t] = asyncio.run(
                    compare(t, connections, messages, workers, repeats, Path(tmp))
                )
    table = Table(
        title=f"fan-out to {connections} connections: {workers} workers vs 1, same Redis "
        "(median ± half spread over rounds; server CPU includes Redis)"
    )
    cols = ["transport", "workers", "CPU us/deliv", f"ratio {workers}/1", "wall /s", "missing"]
    for col in [*cols, "duplicated"]:
        table.add_column(col, justify="right")
    ok = True
    vps: list[str] = []
    for t, rows in results.items():
        by_round: dict[int, dict[int, dict[str, Any]]] = {}
        for row in rows:
            by_round.setdefault(row["round"], {})[row["workers"]] = row
            ok &= row["delivered"] == row["expected"] and row["duplicated"] == 0
        ratios = [a[workers]["server_us"] / a[1]["server_us"] for a in by_round.values()]
        for w in (1, workers):
            arm = [a[w] for a in by_round.values()]
            table.add_row(
                t,
                str(w),
                _spread([a["server_us"] for a in arm]),
                _spread(ratios) if w == workers else "",
                f"{statistics.median(a['wall_per_s'] for a in arm):,.0f}",
                str(sum(a["expected"] - a["delivered"] for a in arm)),
                str(sum(a["duplicated"] for a in arm)),
            )
        us = statistics.median(a[workers]["server_us"] for a in by_round.values())
        carry = VPS_VCPUS * VPS_UTILISATION * 1e6 / us
        vps.append(
            f"{t}: ~{carry:,.0f} deliveries/s (~{carry / 1000:,.0f} broadcasts/s to "
            f"1,000-member teams)"
        )
    console.print(table)
    console.print(
        f"An {VPS_VCPUS}-vCPU VPS at {VPS_UTILISATION:.0%} CPU (workers + Redis, at the "
        f"{workers}-worker cost per delivery) would carry: " + "; ".join(vps),
        markup=False,
    )
    return 0 if ok else 1

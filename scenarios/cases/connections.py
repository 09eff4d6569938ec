"""Idle authenticated connections held by one server process, and server RSS growth
per connection, at growing counts. Every step starts fresh generator processes that connect their
share; the server is sampled when all of them report ready. Connections are spread over at most
``users`` seed users, since each login costs the server a session write (a user may hold several
connections, like several tabs)."""

from __future__ import annotations

import asyncio
from typing import Any

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.context import Context
from rtspike.scenarios.loadgen import Generator
from rtspike.scenarios.results import SeriesRow

NAME = "connections"
NEEDS_REDIS = False


async def worker(gen: Generator, p: dict[str, Any]) -> dict[str, Any]:
    session = lean.new_session()
    conns: list[lean.Receiver] = []
    try:
        pairs = await lean.login_many(session, p["url"], p["logins"])
        tokens = [pairs[n]["access_token"] for n in p["logins"]]
        sem = asyncio.Semaphore(64)
        interval = 1.0 / p["connect_rate"]

        async def one(i: int) -> bool:
            await asyncio.sleep(i * interval)
            r = lean.receiver(p["transport"], p["url"], session, lambda *_: None)
            async with sem:
                try:
                    await r.connect(tokens[i % len(tokens)])
                except Exception:
                    return False
            conns.append(r)
            return True

        ok = await asyncio.gather(*(one(i) for i in range(p["count"])))
        await asyncio.sleep(0.5)
        await gen.sync()
        held = sum(1 for c in conns if not c.closed.is_set())
        return {"held": held, "failed": sum(1 for x in ok if not x)}
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        await session.close()


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    steps: list[int] = p["steps"]
    users = min(p.get("users", 500), max(steps))
    srv = await ctx.server(f"{NAME}-{transport}", transport, seed_lgas=1, seed_enumerators=users)
    logins = [f"enum.lga-01.{i:03d}" for i in range(1, users + 1)]
    try:
        warm = {
            "transport": transport,
            "url": srv.base_url,
            "logins": logins[:1],
            "count": 1,
            "connect_rate": 10,
        }
        await loadgen.run_worker(f"rtspike.scenarios.cases.{NAME}:worker", warm)
        await asyncio.sleep(0.5)
        base = srv.sample()["rss_mb"]
        for n in steps:
            procs = max(1, p["processes"])
            rss: list[float] = []

            async def sample(into: list[float] = rss) -> None:
                # several readings while held: their spread is the noise of the figure
                await asyncio.sleep(0.5)
                for _ in range(int(p.get("readings", 1))):
                    into.append(srv.sample()["rss_mb"])
                    await asyncio.sleep(0.2)

            share = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
            params = [
                {
                    "transport": transport,
                    "url": srv.base_url,
                    "count": k,
                    "logins": logins[i::procs] or logins,
                    "connect_rate": p["connect_rate"] / procs,
                }
                for i, k in enumerate(share)
            ]
            res = await loadgen.run_workers(
                f"rtspike.scenarios.cases.{NAME}:worker", params, 900, sample
            )
            held = sum(r["held"] for r in res)
            failed = sum(r["failed"] for r in res)
            per_conn_kb = [(r - base) * 1024 / held for r in rss] if held else []
            case = f"{n}"
            ctx.results.add(NAME, transport, "connections_held", held, "count", case)
            ctx.results.add(NAME, transport, "connect_failed", failed, "count", case)
            ctx.results.add_repeats(
                NAME, transport, "rss_per_connection_kb", per_conn_kb or [float("nan")], "KB", case
            )
            ctx.results.add(
                NAME, transport, "server_rss_mb", rss[0] if rss else float("nan"), "MB", case
            )
            ctx.results.series.append(
                SeriesRow(
                    NAME,
                    transport,
                    "connections",
                    held,
                    "server_rss_mb",
                    rss[0] if rss else float("nan"),
                    "MB",
                )
            )
        ctx.results.add(NAME, transport, "server_rss_base_mb", base, "MB")
    finally:
        await srv.stop()
    ctx.used_client(transport, "idle", lean.client_kind(transport))

"""Connect + authenticate time at a fixed connect rate (open loop), per repeat a fresh round of
connections that is closed afterwards. Logins happen before and are not timed."""

from __future__ import annotations

import asyncio
from typing import Any

from hdrh.histogram import HdrHistogram

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.context import Context, add_latency
from rtspike.scenarios.loadgen import Generator
from rtspike.scenarios.measure import encode, new_histogram, now_ns, record_us, sleep_until

NAME = "handshake"
NEEDS_REDIS = False


async def _timed_connect(r: lean.Receiver, token: str, at_ns: int, hist: HdrHistogram) -> bool:
    await sleep_until(at_ns)
    t0 = now_ns()
    try:
        await r.connect(token)
    except Exception:
        return False
    record_us(hist, (now_ns() - t0) / 1000)
    return True


async def worker(gen: Generator, p: dict[str, Any]) -> dict[str, Any]:
    session = lean.new_session()
    failed = 0
    windows: list[dict[str, Any]] = []
    try:
        pairs = await lean.login_many(session, p["url"], p["logins"])
        tokens = [pairs[n]["access_token"] for n in p["logins"]]
        warm = lean.receiver(p["transport"], p["url"], session, lambda *_: None)
        await warm.connect(tokens[0])
        await warm.close()
        await gen.sync()
        interval = 1e9 / p["rate_per_s"]
        for _ in range(p["repeats"]):
            hist = new_histogram()
            conns: list[lean.Receiver] = [
                lean.receiver(p["transport"], p["url"], session, lambda *_: None) for _ in tokens
            ]
            start = now_ns() + 20_000_000
            gen.begin()
            ok = await asyncio.gather(
                *(
                    _timed_connect(c, t, start + int(i * interval), hist)
                    for i, (c, t) in enumerate(zip(conns, tokens, strict=True))
                )
            )
            window = gen.end()
            failed += sum(1 for x in ok if not x)
            windows.append({**window, "hist": encode(hist)})
            await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
            await asyncio.sleep(0.2)
        return {"windows": windows, "failed": failed}
    finally:
        await session.close()


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    n = p["connections"]
    srv = await ctx.shared_server(transport)
    logins = [f"enum.lga-01.{i:03d}" for i in range(1, n + 1)]
    res = await loadgen.run_worker(
        f"rtspike.scenarios.cases.{NAME}:worker",
        {
            "transport": transport,
            "url": srv.base_url,
            "logins": logins,
            "rate_per_s": p["rate_per_s"],
            "repeats": p["repeats"],
            "server_pids": [srv.pid],
        },
    )
    ctx.used_client(transport, "handshake", lean.client_kind(transport))
    case = f"{n}conn@{p['rate_per_s']}/s"
    add_latency(
        ctx.results, NAME, transport, res["windows"], "connect", case, ("p50", "p95", "p99")
    )
    ctx.results.add(NAME, transport, "connect_failed", res["failed"], "count", case)

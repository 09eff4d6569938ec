"""Client -> server send-to-ack round trip through each transport's own client (SSE sends over
POST /api/v1/messages, the others over their socket), open loop at a fixed rate, timed from the
intended send time."""

from __future__ import annotations

import asyncio
from typing import Any

from hdrh.histogram import HdrHistogram

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.context import Context, add_latency, population
from rtspike.scenarios.loadgen import Generator
from rtspike.scenarios.measure import encode, new_histogram, now_ns, record_us, sleep_until, tag
from rtspike.transports import registry

NAME = "bidirectional"
NEEDS_REDIS = False


async def _timed_send(client: Any, to: str, s: int, intended: int, hist: HdrHistogram) -> bool:
    await sleep_until(intended)
    msg = {"to": to, "body": "ping", "client_msg_id": tag("bidi", s), "sent_at_ns": intended}
    try:
        await client.send(msg)
    except Exception:
        return False
    record_us(hist, (now_ns() - intended) / 1000)
    return True


async def worker(gen: Generator, p: dict[str, Any]) -> dict[str, Any]:
    session = lean.new_session()
    client = registry.client(p["transport"])(p["url"], on_message=None)
    errors = 0
    windows: list[dict[str, Any]] = []
    try:
        pair = await lean.login(session, p["url"], p["login"])
        await client.connect(pair["access_token"])
        await client.send({"to": p["to"], "body": "warm-up", "client_msg_id": tag("warm", 0)})
        await gen.sync()
        per_window = max(1, p["sends"] // p["repeats"])
        interval = 1e9 / p["rate_per_s"]
        seq = 0
        for _ in range(p["repeats"]):
            hist = new_histogram()
            start = now_ns() + 20_000_000
            gen.begin()
            ok = await asyncio.gather(
                *(
                    _timed_send(client, p["to"], seq + i + 1, start + int(i * interval), hist)
                    for i in range(per_window)
                )
            )
            windows.append({**gen.end(), "hist": encode(hist)})
            seq += per_window
            errors += sum(1 for x in ok if not x)
        return {"windows": windows, "errors": errors}
    finally:
        await client.close()
        await session.close()


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    srv = await ctx.shared_server(transport)
    to = next(u.id for u in population(1, 2) if u.login == "enum.lga-01.001")
    res = await loadgen.run_worker(
        f"rtspike.scenarios.cases.{NAME}:worker",
        {
            "transport": transport,
            "url": srv.base_url,
            "login": "sup.lga-01",
            "to": to,
            "sends": p["sends"],
            "rate_per_s": p["rate_per_s"],
            "repeats": p.get("repeats", 3),
            "server_pids": [srv.pid],
        },
    )
    ctx.used_client(transport, "sender", lean.client_kind(transport, lean=False))
    case = f"{p['sends']}sends@{p['rate_per_s']}/s"
    add_latency(
        ctx.results, NAME, transport, res["windows"], "send_ack", case, ("p50", "p90", "p99", "max")
    )
    ctx.results.add(NAME, transport, "send_errors", res["errors"], "count", case)

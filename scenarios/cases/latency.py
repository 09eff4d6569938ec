"""Emit-to-handler latency, open loop: one supervisor per LGA broadcasting to its team and
direct-messaging its enumerators (alternately), at a fixed total rate across N LGAs."""

from __future__ import annotations

from typing import Any

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.context import (
    Context,
    add_accounting,
    add_latency,
    messaging,
    population,
    user_dict,
)
from rtspike.transports.core.principal import Role

NAME = "latency"
NEEDS_REDIS = False


def traffic_params(
    p: dict[str, Any], transport: str, run: str, send_url: str, recv_url: str, pids: list[int]
) -> dict[str, Any]:
    users = population(p["lgas"], p["per_lga"])
    enums = messaging(users, Role.ENUMERATOR)
    sups = messaging(users, Role.SUPERVISOR)
    senders = [
        {**user_dict(s), "mode": "mixed", "targets": [e.id for e in enums if e.lga_id == s.lga_id]}
        for s in sups
    ]
    return {
        "transport": transport,
        "run": run,
        "send_url": send_url,
        "recv_url": recv_url,
        "lean": True,
        "receivers": [user_dict(e) for e in enums],
        "senders": senders,
        "rate_per_s": p["rate_per_s"],
        "warmup_s": p["warmup_s"],
        "window_s": p["window_s"],
        "repeats": p["repeats"],
        "connect_rate": p["connect_rate"],
        "steps": p.get("steps"),
        "server_pids": pids,
        "drain_s": p.get("drain_s", 5.0),
    }


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    srv = await ctx.shared_server(transport)
    params = traffic_params(p, transport, f"lat{transport}", srv.base_url, srv.base_url, [srv.pid])
    res = await loadgen.run_worker("rtspike.scenarios.traffic:run", params)
    ctx.used_client(transport, "receivers", lean.client_kind(transport))
    ctx.used_client(transport, "senders", lean.client_kind(transport, lean=False))
    case = f"{p['lgas'] * p['per_lga']}conn/{p['lgas']}lga/{p['rate_per_s']}mps"
    add_latency(ctx.results, NAME, transport, res["steps"][0]["windows"], "latency", case)
    add_accounting(ctx.results, NAME, transport, res["accounting"], case)
    ctx.results.add(NAME, transport, "connect_failed", res["connect_failed"], "count", case)
    ctx.results.add(NAME, transport, "send_errors", res["send_errors"], "count", case)

"""Two server processes sharing Redis (store, log, bus): supervisors send on node A, their
teams receive on node B. Cross-node latency (open loop, from intended send time) and every
acknowledged message checked at every addressee. Needs --redis."""

from __future__ import annotations

import uuid

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.cases.latency import traffic_params
from rtspike.scenarios.context import Context, add_accounting, add_latency
from rtspike.transports.core.redis_keys import delete_prefix

NAME = "multinode"
NEEDS_REDIS = True


async def run(ctx: Context, transport: str) -> None:
    if not ctx.redis_url:
        return
    p = ctx.params(NAME)
    prefix = f"rtspike-bench-{uuid.uuid4().hex[:10]}"
    shared = {
        "store_url": ctx.redis_url,
        "log_url": ctx.redis_url,
        "bus_url": ctx.redis_url,
        "redis_prefix": prefix,
        "seed_lgas": p["lgas"],
        "seed_enumerators": p["per_lga"],
    }
    node_a = await ctx.server(f"{NAME}-a-{transport}", transport, node_id="node-a", **shared)
    try:
        node_b = await ctx.server(f"{NAME}-b-{transport}", transport, node_id="node-b", **shared)
        try:
            params = traffic_params(
                p,
                transport,
                f"mn{transport}",
                node_a.base_url,
                node_b.base_url,
                [node_a.pid, node_b.pid],
            )
            res = await loadgen.run_worker("rtspike.scenarios.traffic:run", params)
        finally:
            await node_b.stop()
    finally:
        await node_a.stop()
        await _cleanup(ctx.redis_url, prefix)
    ctx.used_client(transport, "receivers", lean.client_kind(transport))
    case = f"{p['lgas'] * p['per_lga']}conn/{p['lgas']}lga/{p['rate_per_s']}mps"
    add_latency(ctx.results, NAME, transport, res["steps"][0]["windows"], "cross_node", case)
    add_accounting(ctx.results, NAME, transport, res["accounting"], case)
    ctx.results.add(NAME, transport, "connect_failed", res["connect_failed"], "count", case)


async def _cleanup(url: str, prefix: str) -> None:
    """Only this run's keys (its own prefix); the shared Redis is otherwise left alone."""
    await delete_prefix(url, prefix)

"""Time from logout / revoke-all (the REST call leaving the client) to the live connection being
closed by the server, through each transport's own client."""

from __future__ import annotations

import asyncio
import time

from rtspike.scenarios import lean
from rtspike.scenarios.context import Context
from rtspike.scenarios.measure import percentile_dict
from rtspike.transports import registry

NAME = "revocation"
NEEDS_REDIS = False
TIMEOUT_S = 5.0


async def _one(base_url: str, transport: str, login: str, action: str) -> float | None:
    async with lean.new_session() as session:
        pair = await lean.login(session, base_url, login)
        client = registry.client(transport)(base_url, on_message=None)
        await client.connect(pair["access_token"])
        try:
            t0 = time.monotonic()
            async with session.post(
                f"{base_url}/api/v1/auth/{action}",
                headers={"Authorization": f"Bearer {pair['access_token']}"},
            ) as r:
                if r.status != 200:
                    raise RuntimeError(f"{action} refused: {r.status}")
            try:
                await asyncio.wait_for(client.closed.wait(), TIMEOUT_S)
            except TimeoutError:
                return None
            return (time.monotonic() - t0) * 1000
        finally:
            await client.close()


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    n = p["repeats"]
    srv = await ctx.shared_server(transport)
    for k, action in enumerate(("logout", "revoke-all")):
        times: list[float] = []
        missed = 0
        for i in range(n):
            login = f"enum.lga-02.{k * n + i + 1:03d}"
            ms = await _one(srv.base_url, transport, login, action)
            if ms is None:
                missed += 1
            else:
                times.append(ms)
        case = action.replace("-", "_")
        if times:
            s = percentile_dict(times)
            ctx.results.add_repeats(NAME, transport, "revoke_to_close_ms", times, "ms", case)
            ctx.results.add(NAME, transport, "revoke_to_close_p50_ms", s["p50"], "ms", case)
            ctx.results.add(NAME, transport, "revoke_to_close_max_ms", s["max"], "ms", case)
        ctx.results.add(NAME, transport, "still_open_after_5s", missed, "count", case)
    ctx.used_client(transport, "revoked", lean.client_kind(transport, lean=False))

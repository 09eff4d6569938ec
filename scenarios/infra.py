"""Two infra facts the ``proxy`` scenario measures in Chromium instead of declaring them.

Sticky sessions: two server processes sharing one Redis (store, log, bus) behind nginx with the
documented config, round-robin without ``ip_hash`` and then with it. An attempt succeeds when
the client connects, sees no error or drop, and receives broadcasts within the window. The
Redis is a throwaway ``redis-server`` of the run's own on a free port (or ``--redis URL`` with a
key prefix of its own); with neither, the cells say "not measured: needs Redis".

Per-origin limit: 8 clients of one transport opened at once from one page to one origin, over
HTTP/1.1 straight to the server and over HTTP/2 through nginx with a throwaway self-signed
certificate (Chromium started with ``--ignore-certificate-errors``): how many connect within
the window and how long the last of them waited.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from rtspike.scenarios import browser as chromium
from rtspike.scenarios import lean, nginx
from rtspike.scenarios.context import Context
from rtspike.scenarios.nativeclients import native_clients
from rtspike.scenarios.orchestrate import RedisProcess
from rtspike.scenarios.processes import ServerProcess
from rtspike.transports import registry
from rtspike.transports.core.redis_keys import delete_prefix

NAME = "proxy"
SENDER = "sup.lga-01"
RECEIVER = "enum.lga-01.001"


async def _token(base_url: str, login: str = RECEIVER) -> str:
    async with lean.new_session() as session:
        return str((await lean.login(session, base_url, login))["access_token"])


async def _broadcast_until(base_url: str, stop: asyncio.Event, interval_s: float = 0.2) -> None:
    token = await _token(base_url, SENDER)
    async with lean.new_session() as session:
        n = 0
        while not stop.is_set():
            n += 1
            with contextlib.suppress(Exception):
                async with session.post(
                    f"{base_url}/api/v1/messages",
                    json={"broadcast": True, "body": "s", "client_msg_id": f"sticky.{n}"},
                    headers={"Authorization": f"Bearer {token}"},
                ):
                    pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)


async def open_many(page: Any, variant: str, token: str, n: int, window_s: float) -> list[Any]:
    rows: list[Any] = await page.evaluate(
        "([v, t, n, w]) => window.openMany(v, t, n, w)", [variant, token, n, int(window_s * 1000)]
    )
    return rows


@dataclass
class StickyNodes:
    nodes: list[ServerProcess]
    url: str
    prefix: str
    redis: RedisProcess | None

    async def stop(self) -> None:
        await asyncio.gather(*(n.stop() for n in self.nodes))
        if self.redis is not None:
            self.redis.kill()
        else:
            await delete_prefix(self.url, self.prefix)


async def sticky_nodes(ctx: Context, transport: str) -> StickyNodes | None:
    """Two nodes on one Redis (started before any proxy picks a port); None without Redis."""
    url, redis, prefix = ctx.redis_url, None, f"rtspike-sticky-{secrets.token_hex(4)}"
    if url is None and shutil.which("redis-server"):
        redis = await ctx.orch.redis_server()
        url = redis.url
    if url is None:
        return None
    shared = {"store_url": url, "log_url": url, "bus_url": url, "redis_prefix": prefix}
    seed = {"seed_lgas": 1, "seed_enumerators": 4, **shared}
    nodes = await asyncio.gather(
        *(ctx.server(f"{NAME}-sticky-{name}-{transport}", transport, **seed) for name in "ab")
    )
    return StickyNodes(nodes, url, prefix, redis)


async def sticky(
    ctx: Context, browser: Any, transport: str, p: dict[str, Any], setup: StickyNodes | None
) -> None:
    if setup is None:
        for v in native_clients(transport):
            ctx.results.add(
                NAME,
                transport,
                "sticky_success_rate",
                0,
                "ratio",
                f"{v.name}/round_robin",
                valid=False,
                note="not measured: needs Redis (install redis-server or pass --redis)",
            )
        return
    nodes = setup.nodes
    stop = asyncio.Event()
    sender = asyncio.create_task(_broadcast_until(nodes[0].base_url, stop))
    try:
        for ip_hash in (False, True):
            proxy = nginx.Nginx([n.port for n in nodes], nginx.documented(transport), ip_hash)
            await proxy.start()
            try:
                await asyncio.gather(
                    *(
                        _attempts(ctx, browser, proxy, nodes[0].base_url, transport, v.name, p)
                        for v in native_clients(transport)
                    )
                )
            finally:
                await proxy.stop()
    finally:
        stop.set()
        await sender


async def _attempts(
    ctx: Context,
    browser: Any,
    proxy: nginx.Nginx,
    base_url: str,
    transport: str,
    variant: str,
    p: dict[str, Any],
) -> None:
    page = await chromium.probe_page(browser, proxy.url)
    rounds: list[list[Any]] = []
    try:
        for _ in range(p["sticky_rounds"]):
            token = await _token(base_url)
            rounds.append(
                await open_many(
                    page, f"{transport}/{variant}", token, p["sticky_batch"], p["sticky_window_s"]
                )
            )
    finally:
        await chromium.close_page(page)
    case = f"{variant}/{'ip_hash' if proxy.ip_hash else 'round_robin'}"
    tries = sum(len(r) for r in rounds)
    note = f"{tries} tries in {len(rounds)} rounds of {p['sticky_batch']} at once"
    res = ctx.results
    res.add_repeats(  # one repeat per round: the rate among its attempts
        NAME,
        transport,
        "sticky_success_rate",
        [_rate(r, _stable) for r in rounds],
        "ratio",
        case,
        note=note,
    )
    res.add_repeats(
        NAME,
        transport,
        "handshake_failure_rate",
        [_rate(r, _no_handshake) for r in rounds],
        "ratio",
        case,
        note=note,
    )


def _stable(r: dict[str, Any]) -> bool:
    """Connected, never dropped or errored, and broadcasts arrived."""
    return r["open_ms"] is not None and r["down_ms"] is None and r["got"] > 0


def _no_handshake(r: dict[str, Any]) -> bool:
    return r["open_ms"] is None or (r["down_ms"] is not None and r["down_ms"] < r["open_ms"])


def _rate(rows: list[Any], test: Any) -> float:
    return sum(1 for r in rows if test(r)) / max(1, len(rows))


async def per_origin(
    ctx: Context, browser: Any, transport: str, p: dict[str, Any], srv: ServerProcess
) -> None:
    variant = f"{transport}/{registry.spec(transport).infra.origin_client}"
    n, window = p["origin_clients"], p["origin_window_s"]
    h2 = nginx.Nginx([srv.port], nginx.documented(transport), http2_tls=True)
    h2_error: str | None = None
    try:
        try:
            await h2.start()
        except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as exc:
            h2_error = f"not measured: nginx with TLS + HTTP/2 failed ({exc})"[:200]
        origins = {"http1": srv.base_url, **({} if h2_error else {"http2": h2.url})}
        for case, origin in origins.items():
            page = await chromium.probe_page(browser, origin)
            try:
                rows = await open_many(page, variant, await _token(srv.base_url), n, window)
            finally:
                await chromium.close_page(page)
            _origin_rows(ctx, transport, case, rows, n, window)
        if h2_error:
            ctx.results.add(
                NAME, transport, "origin_connected", 0, "count", "http2", False, h2_error
            )
    finally:
        await h2.stop()


def _origin_rows(
    ctx: Context, transport: str, case: str, rows: list[Any], n: int, window: float
) -> None:
    opened = sorted(r["open_ms"] / 1000 for r in rows if r["open_ms"] is not None)
    res = ctx.results
    note = f"{n} opened at once from one page; window {window:g} s"
    res.add(NAME, transport, "origin_connected", len(opened), "count", case, note=note)
    res.add(NAME, transport, "origin_waiting", n - len(opened), "count", case, note=note)
    if opened:
        res.add(NAME, transport, "origin_last_open_s", opened[-1], "s", case)

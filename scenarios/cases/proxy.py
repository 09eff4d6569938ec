"""Each transport's own browser client through a real nginx (scenarios/nginx.py), in headless
Chromium:

- ``default``: a bare ``proxy_pass`` (HTTP/1.0 upstream, no Upgrade/Connection headers). Does
  each client connect and deliver, and how fast? For SSE also ``default_no_accel``: the same
  config when the server does not send ``X-Accel-Buffering: no`` (ours does), so the figure
  for the protocol is not hidden by a header of this server.
- ``documented``: what the library's documentation asks for (the spec's ``infra``): the latency
  the proxy adds over ``direct`` and the number of config lines (an infra-effort input).
- ``idle_timeout``: the documented config with ``proxy_read_timeout`` shorter than the server's
  keep-alive: is the connection cut, how fast is it back, is anything lost (resilient.js too).
- sticky sessions and the per-origin connection limit: scenarios/infra.py.

A supervisor sends over REST straight to the server; latency is send to handler (Date.now()
and time.time() read the same clock on this host).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import aiohttp

from rtspike.scenarios import browser as chromium
from rtspike.scenarios import infra, lean, nginx
from rtspike.scenarios.context import Context, messaging, population
from rtspike.scenarios.nativeclients import OURS, ClientLog, native_clients
from rtspike.scenarios.processes import READY_TIMEOUT_S, ServerProcess
from rtspike.transports import registry
from rtspike.transports.core.principal import Role
from rtspike.transports.core.users import DEV_PASSWORD

NAME = "proxy"
NEEDS_REDIS = False
SENDER = "sup.lga-01"
POLL_S = 0.2
SEND_TIMEOUT_S = 5.0
SLOW_STEPS_S = 60.0  # pages, nginx and browser start, clean-up on a loaded box


def budget_s(p: dict[str, Any], transport: str) -> float:
    """The longest a run may take: each phase's own timeouts plus the slow steps."""
    per_config = (
        p["connect_timeout_s"]
        + p["messages"] * (1 / p["rate_per_s"] + SEND_TIMEOUT_S)
        + p["deliver_timeout_s"]
        + SLOW_STEPS_S
    )
    through = per_config * (1 if p["configs_at_once"] else len(configs(transport)))
    idle = (
        p["connect_timeout_s"]
        + p["idle_messages"] * (p["idle_timeout_s"] * 1.5 + SEND_TIMEOUT_S)
        + p["drain_s"]
    )
    sticky = p["sticky_rounds"] * (p["sticky_window_s"] + SLOW_STEPS_S)
    origin = 2 * (p["origin_window_s"] + SLOW_STEPS_S)
    rest = max(idle + SLOW_STEPS_S, sticky, origin)
    return through + rest + 2 * READY_TIMEOUT_S + SLOW_STEPS_S


def configs(transport: str) -> dict[str, tuple[str, ...] | None]:
    """config name -> nginx location lines (None: straight to the server, the baseline)."""
    out: dict[str, tuple[str, ...] | None] = {"direct": None, "default": nginx.DEFAULT}
    if registry.spec(transport).infra.proxy_buffers_stream:
        out["default_no_accel"] = nginx.IGNORE_ACCEL
    out["documented"] = nginx.documented(transport)
    return out


def idle_config(transport: str, idle_s: float) -> tuple[str, ...]:
    kept = [x for x in nginx.documented(transport) if not x.startswith("proxy_read_timeout")]
    return (*kept, f"proxy_read_timeout {idle_s:g}s;")


class Sender:
    """REST broadcasts from the team's supervisor, with the wall time each was sent."""

    def __init__(self, base_url: str, tag: str) -> None:
        self.base_url, self.tag = base_url, tag
        self.sent: dict[str, float] = {}
        self._n = 0

    async def send(self, count: int, interval_s: float) -> None:
        async with lean.new_session() as session:
            token = (await lean.login(session, self.base_url, SENDER))["access_token"]
            for _ in range(count):
                self._n += 1
                cid = f"{self.tag}.{self._n}"
                t = time.time() * 1000
                if await self._post(session, token, cid):
                    self.sent[cid] = t
                await asyncio.sleep(interval_s)

    async def _post(self, session: aiohttp.ClientSession, token: str, cid: str) -> bool:
        """One retry when a kept-alive socket was closed under the request (the server's
        keep-alive timeout racing a loaded client): the send is idempotent by client_msg_id."""
        for attempt in (1, 2):
            try:
                async with session.post(
                    f"{self.base_url}/api/v1/messages",
                    json={"broadcast": True, "body": "p", "client_msg_id": cid},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S),
                ) as r:
                    return r.status == 201
            except aiohttp.ClientConnectionError:
                if attempt == 2:
                    raise
        return False


async def start_client(page: Any, transport: str, variant: str, base_url: str, login: str) -> None:
    if variant == OURS:
        args = [transport, login, DEV_PASSWORD]
        await page.evaluate("([t, l, pw]) => window.startOurs(t, l, pw)", args)
        return
    async with lean.new_session() as session:
        token = (await lean.login(session, base_url, login))["access_token"]
    await page.evaluate("([v, t]) => window.startNative(v, t)", [f"{transport}/{variant}", token])


async def read_log(page: Any, variant: str) -> ClientLog:
    data = await page.evaluate("({events: window.P.events, got: window.P.got})")
    return ClientLog.from_page(variant, data)


async def wait_for(pages: list[Any], variants: list[str], test: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        logs = await asyncio.gather(*(read_log(p, v) for p, v in zip(pages, variants, strict=True)))
        if all(test(lg) for lg in logs):
            return
        await asyncio.sleep(POLL_S)


async def _deliver(
    browser: Any,
    srv: ServerProcess,
    transport: str,
    config: str,
    lines: tuple[str, ...] | None,
    p: dict[str, Any],
) -> tuple[list[ClientLog], Sender]:
    """Every variant's client through one config (None: straight to the server) receives the
    supervisor's messages; their logs and the sender (what was sent, when)."""
    names = [v.name for v in native_clients(transport)]
    logins = [u.login for u in messaging(population(1, 16), Role.ENUMERATOR)][: len(names)]
    proxy = None if lines is None else nginx.Nginx([srv.port], lines)
    if proxy is not None:
        await proxy.start()
    origin = srv.base_url if proxy is None else proxy.url
    pages = [await chromium.probe_page(browser, origin) for _ in names]
    try:
        for page, variant, login in zip(pages, names, logins, strict=True):
            await start_client(page, transport, variant, srv.base_url, login)
        await wait_for(pages, names, lambda lg: lg.opened, p["connect_timeout_s"])
        await asyncio.sleep(0.3)  # socket.io: let the upgrade settle
        sender = Sender(srv.base_url, f"{NAME}{transport}{config}")
        await sender.send(p["messages"], 1 / p["rate_per_s"])
        sent = set(sender.sent)
        await wait_for(pages, names, lambda lg, s=sent: s <= lg.ids, p["deliver_timeout_s"])
        logs = [await read_log(pg, v) for pg, v in zip(pages, names, strict=True)]
    finally:
        for page in pages:
            await chromium.close_page(page)
        if proxy is not None:
            await proxy.stop()
    return logs, sender


async def _through(
    ctx: Context, browser: Any, srv: ServerProcess, transport: str, p: dict[str, Any]
) -> dict[str, dict[str, float]]:
    """Connect + deliver for every variant through every config; returns p50 per case."""
    chosen = configs(transport)
    if p["configs_at_once"]:  # tiny: every config's clients side by side
        runs = await asyncio.gather(
            *(_deliver(browser, srv, transport, c, lines, p) for c, lines in chosen.items())
        )
    else:  # one config at a time: the latency the proxy adds is timed on a quiet machine
        runs = [await _deliver(browser, srv, transport, c, lines, p) for c, lines in chosen.items()]
    p50: dict[str, dict[str, float]] = {}
    for config, (logs, sender) in zip(chosen, runs, strict=True):
        sent = set(sender.sent)
        for log in logs:
            case = f"{log.variant}/{config}"
            first = {c: t for t, c in reversed(log.got)}
            lat = sorted(first[c] - sender.sent[c] for c in sent if c in first)
            delivered = len(lat)
            ok = log.opened and delivered == len(sent)
            res = ctx.results
            res.add(NAME, transport, "connected", float(log.opened), "bool", case)
            res.add(NAME, transport, "delivered", delivered, "count", case)
            res.add(NAME, transport, "lost", len(sent) - delivered, "count", case)
            if config.startswith("default"):
                res.add(NAME, transport, "default_config_ok", float(ok), "bool", case)
            if lat:
                p50.setdefault(log.variant, {})[config] = statistics.median(lat)
                res.add(NAME, transport, "latency_p50_ms", statistics.median(lat), "ms", case)
                res.add(NAME, transport, "latency_max_ms", lat[-1], "ms", case)
    ctx.results.add(
        NAME,
        transport,
        "config_lines",
        len(nginx.documented(transport)),
        "lines",
        "documented",
        note=" ".join(nginx.documented(transport)),
    )
    for variant, by_config in p50.items():
        if "documented" in by_config and "direct" in by_config:
            added = by_config["documented"] - by_config["direct"]
            ctx.results.add(
                NAME, transport, "latency_added_ms", added, "ms", f"{variant}/documented"
            )
    return p50


async def _idle(
    ctx: Context, browser: Any, srv: ServerProcess, transport: str, p: dict[str, Any]
) -> None:
    """proxy_read_timeout below the server's keep-alive, messages spaced wider than it."""
    names = [v.name for v in native_clients(transport)] + [OURS]
    logins = [u.login for u in messaging(population(1, 16), Role.ENUMERATOR)][: len(names)]
    idle = p["idle_timeout_s"]
    proxy = nginx.Nginx([srv.port], idle_config(transport, idle))
    await proxy.start()
    pages = [await chromium.probe_page(browser, proxy.url) for _ in names]
    try:
        for page, variant, login in zip(pages, names, logins, strict=True):
            await start_client(page, transport, variant, srv.base_url, login)
        await wait_for(pages, names, lambda lg: lg.opened, p["connect_timeout_s"])
        start_ms = time.time() * 1000
        sender = Sender(srv.base_url, f"{NAME}{transport}idle")
        await sender.send(p["idle_messages"], idle * 1.5)
        sent = set(sender.sent)
        await wait_for(pages, names, lambda lg: lg.final or sent <= lg.ids, p["drain_s"])
        logs = [await read_log(pg, v) for pg, v in zip(pages, names, strict=True)]
    finally:
        for page in pages:
            await chromium.close_page(page)
        await proxy.stop()
    for log in logs:
        case = f"{log.variant}/idle_timeout"
        cuts = [t for t, k, _ in log.events if k in ("down", "final") and t >= start_ms]
        backs = []
        for cut in cuts:
            again = log.first(("open",), cut)
            if again is not None:
                backs.append((again - cut) / 1000)
        res = ctx.results
        res.add(NAME, transport, "cuts", len(cuts), "count", case, note=f"read timeout {idle:g} s")
        if backs:
            res.add(NAME, transport, "time_back_s", statistics.median(backs), "s", case)
        res.add(NAME, transport, "lost", log.lost(sent), "count", case)
        res.add(NAME, transport, "duplicated", log.duplicated(), "count", case)


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    why = chromium.missing() or nginx.missing()
    if not native_clients(transport) or not nginx.documented(transport):
        why = "not measured: the transport's spec declares no native clients or nginx config"
    if why is not None:
        ctx.results.add(NAME, transport, "not_measured", 1, "count", valid=False, note=why)
        return
    settings = {"seed_lgas": 1, "seed_enumerators": 16, "keepalive_s": p["keepalive_s"]}
    async with chromium.chromium(["--ignore-certificate-errors"]) as browser:
        srv = await ctx.server(f"{NAME}-{transport}", transport, **settings)
        try:
            ctx.status(f"{NAME}: default and documented nginx config")
            await _through(ctx, browser, srv, transport, p)
        finally:
            await srv.stop()
        ctx.status(f"{NAME}: idle timeout, sticky sessions, per-origin limit")
        # every server listens before any nginx picks a free port
        idle_srv, origin_srv, nodes = await asyncio.gather(
            ctx.server(f"{NAME}-idle-{transport}", transport, **settings),
            ctx.server(f"{NAME}-origin-{transport}", transport, **settings),
            infra.sticky_nodes(ctx, transport),
        )
        try:
            await asyncio.gather(
                _idle(ctx, browser, idle_srv, transport, p),
                infra.sticky(ctx, browser, transport, p, nodes),
                infra.per_origin(ctx, browser, transport, p, origin_srv),
            )
        finally:
            await asyncio.gather(idle_srv.stop(), origin_srv.stop())
            if nodes is not None:
                await nodes.stop()
    for v in native_clients(transport):
        ctx.used_client(transport, f"proxy-{v.name}", v.description)

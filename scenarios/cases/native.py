"""What each transport's own browser library does under real faults, in headless Chromium, next
to our resilient.js: server SIGKILL + restart, a network blackhole through the fault proxy
(sockets open, nothing flows: the phone that lost its network without a FIN), and the server
closing for token expiry (4001). A supervisor keeps broadcasting over REST during the outage.

Every client (variant x repeat) gets its own browser context and its own fault proxy, so that
each has its own origin, cookie jar and connection pool (the per-origin limit is measured apart),
and all the clients of one (transport, fault) live through the same outage at once.

Heartbeats are measured by the blackhole case: ``time_to_detect_s`` there is how long a dead
connection stays "open" with the transport's defaults. The server's keep-alive (15 s: the
Socket.IO ping interval, the SSE comment, the WebSocket server ping) is multiplied by the profile's
``keepalive_scale`` (quick 0.2 = 3 s; full 1.0, the real defaults); the Socket.IO ping timeout
never goes below 5 s. The browser WebSocket API cannot send pings, and EventSource hides
comments from script, so neither can watch a connection without server events.

``time_to_recovered_s`` counts from the end of the outage (server healthy again, blackhole
lifted, or the 4001 close) to the first delivery of a message sent after it. A server kill's
outage itself (SIGKILL to the restarted server accepting TCP: mostly its boot, 19 s on a loaded
box) is ``outage_s``, so that a long boot reads as the server's, not the client's: a client
whose retries ran out during it then waits for its own next probe, which does count.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rtspike.scenarios import browser as chromium
from rtspike.scenarios import lean
from rtspike.scenarios.cases.reconnect import Publisher
from rtspike.scenarios.context import Context, messaging, population
from rtspike.scenarios.faultproxy import FaultProxy, Mode
from rtspike.scenarios.nativeclients import (
    DETECT,
    OURS,
    OURS_DESCRIPTION,
    ClientLog,
    Figures,
    native_clients,
    variants,
)
from rtspike.scenarios.processes import READY_TIMEOUT_S
from rtspike.scenarios.processes import ServerProcess as Server
from rtspike.scenarios.results import AT_LEAST
from rtspike.transports.clients.resilient.state import POLL_SCHEDULE_S
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Role
from rtspike.transports.core.users import DEV_PASSWORD

log = get_logger("rtspike.bench.native")
NAME = "native"
NEEDS_REDIS = False
KEEPALIVE_DEFAULT_S = 15.0
POLL_S = 0.5
SLOW_STEPS_S = 90.0  # pages, logins, browser start and clean-up on a loaded box


def budget_s(p: dict[str, Any], transport: str) -> float:
    """The longest a run may take: every phase's own timeout, plus the slow steps."""
    fault_s = max(p["down_s"] + READY_TIMEOUT_S, p["blackhole_s"], p["ttl_s"] + 1.5)
    trial = p["connect_timeout_s"] + p["settle_s"] + fault_s + p["window_s"] + p["drain_s"]
    trials = 1 if p["faults_at_once"] else len(p["faults"])
    return trials * (trial + max(POLL_SCHEDULE_S) + SLOW_STEPS_S) + SLOW_STEPS_S


class Client:
    def __init__(self, variant: str, login: str, proxy: FaultProxy, page: Any) -> None:
        self.variant, self.login, self.proxy, self.page = variant, login, proxy, page
        self.log = ClientLog(variant)
        self.login_ms = _now_ms()

    async def refresh(self) -> None:
        data = await self.page.evaluate("({events: window.P.events, got: window.P.got})")
        fault, end = self.log.fault_ms, self.log.end_ms
        self.log = ClientLog.from_page(self.variant, data)
        self.log.fault_ms, self.log.end_ms = fault, end

    async def next_probe_ms(self) -> float | None:
        """When our client, polling in degraded mode, next probes the transport (Date.now()
        ms, the schedule it announced); None when it is not degraded or not ours."""
        if self.variant != OURS:
            return None
        expr = "(c => c && c.state === 'degraded' ? c.info.nextPollAt : null)(window.P.client)"
        at = await self.page.evaluate(expr)
        return float(at) if at is not None else None


def _now_ms() -> float:
    return time.time() * 1000


async def _pages(browser: Any, srv: Server, transport: str, p: dict[str, Any]) -> list[Client]:
    """The slow part (a browser context, page and proxy each), done before any login so that
    a token's lifetime is not spent waiting for pages."""
    slots = [v for v in variants(transport) for _ in range(p["repeats"])]
    logins = [u.login for u in messaging(population(1, len(slots)), Role.ENUMERATOR)]
    sem = asyncio.Semaphore(4)

    async def one(variant: str, login: str) -> Client:
        async with sem:
            proxy = FaultProxy(srv.port)
            await proxy.start()
            return Client(variant, login, proxy, await chromium.probe_page(browser, proxy.url))

    return list(await asyncio.gather(*(one(v, u) for v, u in zip(slots, logins, strict=True))))


async def _connect(srv: Server, transport: str, clients: list[Client], p: dict[str, Any]) -> None:
    async def one(c: Client) -> None:
        c.login_ms = _now_ms()
        if c.variant == OURS:
            args = [transport, c.login, DEV_PASSWORD]
            await c.page.evaluate("([t, l, pw]) => window.startOurs(t, l, pw)", args)
            return
        async with lean.new_session() as session:
            token = (await lean.login(session, srv.base_url, c.login))["access_token"]
        await c.page.evaluate(
            "([v, t]) => window.startNative(v, t)", [f"{transport}/{c.variant}", token]
        )

    await asyncio.gather(*(one(c) for c in clients))
    deadline = time.monotonic() + p["connect_timeout_s"]
    while time.monotonic() < deadline:
        await asyncio.gather(*(c.refresh() for c in clients))
        if all(c.log.opened for c in clients):
            return
        await asyncio.sleep(POLL_S)


async def _trial(ctx: Context, browser: Any, transport: str, fault: str, p: dict[str, Any]) -> None:
    n_clients = len(variants(transport)) * p["repeats"]
    settings: dict[str, Any] = {
        "seed_lgas": 1,
        "seed_enumerators": n_clients,
        "keepalive_s": KEEPALIVE_DEFAULT_S * p["keepalive_scale"],
    }
    if fault == "token_expiry":
        settings["access_ttl_s"] = p["ttl_s"]
    srv = await ctx.server(f"{NAME}-{fault}-{transport}", transport, **settings)
    clients: list[Client] = []
    pub = Publisher(srv.base_url, "", f"{NAME}{fault}{transport}", p["rate_per_s"])
    offset_ms = (time.time() - time.monotonic()) * 1000
    pub_task: asyncio.Task[None] | None = None
    try:
        clients = await _pages(browser, srv, transport, p)
        pub_task = asyncio.create_task(pub.run())
        started_ms = _now_ms()
        await _connect(srv, transport, clients, p)
        log.info("native.opened", fault=fault, s=round(_now_ms() / 1000 - started_ms / 1000, 2))
        await asyncio.sleep(p["settle_s"])
        fault_ms = _now_ms()
        outage_s: float | None = None
        if fault == "server_kill":
            killed = time.monotonic()
            srv.kill()
            await asyncio.sleep(p["down_s"])
            srv.launch()
            outage_s = await srv.listening() - killed
            await srv.wait_ready()
        elif fault == "blackhole":
            for c in clients:
                c.proxy.set_mode(Mode.BLACKHOLE)
            await asyncio.sleep(p["blackhole_s"])
            for c in clients:
                c.proxy.set_mode(Mode.PASS)
        elif fault == "token_expiry":  # each token expires ttl after its own login
            last_login = max(c.login_ms for c in clients) / 1000
            await asyncio.sleep(max(0.0, last_login + p["ttl_s"] + 1.5 - time.time()))
        end_ms = _now_ms()
        log.info("native.fault_over", fault=fault, s=round(end_ms / 1000 - started_ms / 1000, 2))
        await asyncio.gather(*(c.refresh() for c in clients))
        for c in clients:
            c.log.fault_ms, c.log.end_ms = fault_ms, end_ms
            if fault == "token_expiry":
                opened = c.log.first(("open",), started_ms) or started_ms
                closed = c.log.first(DETECT, opened + 1)
                c.log.fault_ms = c.log.end_ms = closed if closed is not None else end_ms
        deadline = time.monotonic() + p["window_s"]
        sent_after = time.monotonic() + p["send_after_s"]
        while time.monotonic() < deadline:
            acked = {cid: t * 1000 + offset_ms for cid, t in pub.acked.items()}
            if time.monotonic() > sent_after and all(c.log.settled(acked) for c in clients):
                break
            await asyncio.sleep(POLL_S)
            await asyncio.gather(*(c.refresh() for c in clients if not c.log.settled(acked)))
        log.info("native.settled", fault=fault, s=round(_now_ms() / 1000 - started_ms / 1000, 2))
        pub.stop()
        await pub_task
        pub_task = None
        await _drain(clients, pub.acked, offset_ms, p)
    finally:
        pub.stop()
        if pub_task is not None:
            pub_task.cancel()
        for c in clients:
            await chromium.close_page(c.page)
            await c.proxy.stop()
        await srv.stop()
    acked_ms = {cid: t * 1000 + offset_ms for cid, t in pub.acked.items()}
    _record(ctx, transport, fault, clients, acked_ms, p, outage_s)


async def _drain(
    clients: list[Client], acked_at: dict[str, float], offset_ms: float, p: dict[str, Any]
) -> None:
    """Our client, and native ones that are live again, get every acknowledged message before
    anything is counted lost (a positive barrier: it returns as soon as they have).

    Our client, degraded when the restart outlasted its retries (a loaded box may take 20 s to
    boot a server), probes again on its own poll schedule: the drain runs from that announced
    probe, read once here, so the wait stays bounded by the schedule's last step."""
    acked_ms = {cid: t * 1000 + offset_ms for cid, t in acked_at.items()}
    acked = set(acked_ms)
    probes = [t for t in await asyncio.gather(*(c.next_probe_ms() for c in clients)) if t]
    wait_s = max([0.0, *((t - _now_ms()) / 1000 for t in probes)])
    deadline = time.monotonic() + wait_s + p["drain_s"]
    while time.monotonic() < deadline:
        await asyncio.gather(*(c.refresh() for c in clients))
        waiting = [
            c
            for c in clients
            if not c.log.final and (c.variant == OURS or c.log.recovered_at(acked_ms) is not None)
        ]
        if all(c.log.lost(acked) == 0 for c in waiting):
            return
        await asyncio.sleep(POLL_S)


def _record(
    ctx: Context,
    transport: str,
    fault: str,
    clients: list[Client],
    acked_ms: dict[str, float],
    p: dict[str, Any],
    outage_s: float | None = None,
) -> None:
    """One row set per (variant, fault); then ``native/<fault>``: the best native variant's
    figures under a case name every transport shares, which the rubric scores. ``outage_s``
    (every client of the trial lived through the same one) goes with each row set."""
    window = p["blackhole_s"] if fault == "blackhole" else p["window_s"]
    figures = {
        v: Figures.of([c.log for c in clients if c.variant == v], acked_ms, fault, window, p)
        for v in variants(transport)
    }
    cases = [(f"{v}/{fault}", fig, v != OURS, "") for v, fig in figures.items()]
    native = {v: f for v, f in figures.items() if v != OURS}
    best = min(native, key=lambda v: native[v].rank)
    cases.append((f"native/{fault}", native[best], True, f"best: {best}"))
    for case, fig, is_native, note in cases:
        _rows(ctx, transport, case, fig, native=is_native, note=note)
        if outage_s is not None:
            ctx.results.add(NAME, transport, "outage_s", outage_s, "s", case)


def _rows(
    ctx: Context, transport: str, case: str, fig: Figures, native: bool, note: str = ""
) -> None:
    """Timeouts are lower bounds (``at_least``): the report scores them as failures."""
    res = ctx.results
    for metric, values, oks, why in (
        ("time_to_detect_s", fig.detect, fig.detect_ok, fig.detect_note),
        ("time_to_recovered_s", fig.recovered, fig.recovered_ok, fig.recovered_note),
    ):
        bounds = ["" if ok else AT_LEAST for ok in oks]
        text = "; ".join(x for x in (note, why) if x)
        res.add_repeats(NAME, transport, metric, values, "s", case, note=text, bounds=bounds)
    res.add_repeats(NAME, transport, "lost", fig.lost, "count", case, note=note)
    res.add_repeats(NAME, transport, "duplicated", fig.duplicated, "count", case, note=note)
    res.add_repeats(NAME, transport, "delivered", fig.delivered, "count", case, note=note)
    if native:
        flags = [1.0 if ok else 0.0 for ok in fig.recovered_ok]
        res.add_repeats(NAME, transport, "recovered_without_app_code", flags, "bool", case)


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    why = chromium.missing()
    if not native_clients(transport):
        why = "not measured: the transport's spec declares no native clients"
    if why is not None:
        ctx.results.add(NAME, transport, "not_measured", 1, "count", valid=False, note=why)
        return
    scale = p["keepalive_scale"]
    note = (
        f"native: server keep-alive {KEEPALIVE_DEFAULT_S * scale:g} s "
        f"({KEEPALIVE_DEFAULT_S:g} s default x {scale:g}); blackhole {p['blackhole_s']:g} s"
    )
    if note not in ctx.notes:
        ctx.notes.append(note)
    async with chromium.chromium() as browser:
        if p["faults_at_once"]:  # fewer pages (tiny): all faults side by side
            ctx.status(f"{NAME}: {', '.join(p['faults'])} at once")
            await asyncio.gather(*(_trial(ctx, browser, transport, f, p) for f in p["faults"]))
        else:  # one fault's pages at a time: a small machine's CPU is what the figures time
            for fault in p["faults"]:
                ctx.status(f"{NAME}: {fault}")
                await _trial(ctx, browser, transport, fault, p)
    for v in native_clients(transport):
        ctx.used_client(transport, f"native-{v.name}", v.description)
    ctx.used_client(transport, "native-ours", OURS_DESCRIPTION.format(transport=transport))

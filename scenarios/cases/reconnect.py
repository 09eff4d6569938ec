"""Interruptions seen through the ResilientClient: server SIGKILL + restart, token expiry
mid-stream, the realtime transport blocked while REST works, and (with --redis) a Redis restart
under the bus. A supervisor keeps sending direct messages over REST (retrying each with the same
client_msg_id until acknowledged); the enumerator's handler must end up with every acknowledged
message exactly once.

Each case repeats its interruption ``repeats`` times on one server and client (one repeat per
interruption). ``time_to_recovered_s`` counts from the interruption (so it includes the outage
itself); ``recovery_after_fault_s`` counts from the moment the fault was cleared: for a server
kill, the moment the restarted server accepts TCP again (not after the harness's health check,
which a fast client can beat), and recovery is the first "connected" after the client noticed
the drop, so a client that came back is never recorded as "did not recover". ``outage_s`` is
the outage itself, interruption to cleared (a server kill's is mostly the restarted server's
boot, which took 19 s on a loaded box), so ``time_to_recovered_s`` = ``outage_s`` +
``recovery_after_fault_s``: the client's own share is the latter.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from rtspike.scenarios import lean
from rtspike.scenarios.context import Context, population
from rtspike.scenarios.processes import ServerProcess
from rtspike.scenarios.results import AT_LEAST, TimelineRow
from rtspike.transports.clients.resilient.client import ResilientClient
from rtspike.transports.clients.resilient.rest import SessionTokens
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.ids import new_secret
from rtspike.transports.core.users import DEV_PASSWORD

NAME = "reconnect"
NEEDS_REDIS = False
RECEIVER = "enum.lga-01.001"
SENDER = "sup.lga-01"


class Publisher:
    """Open-ended sender over REST: every message retried until acknowledged, or until
    ``stop`` (the one in flight then is not counted: a server that never came back must not
    hold the scenario). ``to`` empty = broadcast to the sender's team."""

    def __init__(self, base_url: str, to: str, case: str, rate_per_s: float) -> None:
        self.base_url, self.to, self.case, self.interval = base_url, to, case, 1 / rate_per_s
        self.acked: dict[str, float] = {}
        self._stop = asyncio.Event()
        self._token = ""

    async def run(self) -> None:
        async with lean.new_session() as session:
            seq = 0
            while not self._stop.is_set():
                seq += 1
                cid = f"{self.case}.{seq}"
                while not await self._send(session, cid):
                    if self._stop.is_set():
                        return
                    await asyncio.sleep(0.1)
                self.acked[cid] = time.monotonic()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.interval)

    async def _send(self, session: aiohttp.ClientSession, cid: str) -> bool:
        try:
            if not self._token:
                self._token = (await lean.login(session, self.base_url, SENDER))["access_token"]
            async with session.post(
                f"{self.base_url}/api/v1/messages",
                json={
                    "body": "tick",
                    "client_msg_id": cid,
                    **({"to": self.to} if self.to else {"broadcast": True}),
                },
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=3),
            ) as r:
                if r.status == 401:
                    self._token = ""
                return r.status == 201
        except (TimeoutError, aiohttp.ClientError, lean.RefusedError, OSError):
            return False

    def stop(self) -> None:
        self._stop.set()


def _first(transitions: Sequence[tuple[float, str]], state: str, after: float) -> float | None:
    return next((t for t, s in transitions if s == state and t >= after), None)


async def _case(ctx: Context, transport: str, case: str, p: dict[str, Any]) -> None:
    dev_token = new_secret(24)
    settings: dict[str, Any] = {
        "seed_lgas": 1,
        "seed_enumerators": 2,
        "dev_faults": "true",
        "dev_faults_token": dev_token,
    }
    redis = None
    if case == "token_expiry":
        settings["access_ttl_s"] = p.get("ttl_s", 3.0)
    if case == "redis_restart":
        redis = await ctx.orch.redis_server()
        settings["bus_url"] = redis.url
    srv: ServerProcess = await ctx.server(f"{NAME}-{case}-{transport}", transport, **settings)
    to = next(u.id for u in population(1, 2) if u.login == RECEIVER)
    seen: list[str] = []
    arrivals: list[tuple[float, str]] = []

    def on_message(event: MessageEvent) -> None:
        seen.append(event.client_msg_id)
        arrivals.append((time.monotonic(), event.client_msg_id))

    tokens = SessionTokens(srv.base_url, RECEIVER, DEV_PASSWORD)
    client = ResilientClient(
        srv.base_url,
        transport,
        tokens,
        on_message,
        time_scale=p["time_scale"],
        backoff_base=0.2,
        backoff_cap=2.0,
    )
    pub = Publisher(srv.base_url, to, f"{case}{transport}", p["rate_per_s"])
    t_start = time.monotonic()
    cycles: list[Cycle] = []
    try:
        await client.start()
        pub_task = asyncio.create_task(pub.run())
        await asyncio.sleep(1.0)
        for _ in range(max(1, int(p.get("repeats", 1)))):
            fault = await _fault(case, srv, client, redis, dev_token, p)
            if fault is None:
                break
            cycle = Cycle(*fault, None)
            if case == "redis_restart":
                cycle.recovered = await _first_arrival(arrivals, pub, cycle.cleared_at, p)
            else:
                cycle.recovered = await _reconnected(client, cycle, p["timeout_s"])
            cycles.append(cycle)
            if cycle.recovered is None:
                break
            await asyncio.sleep(float(p.get("settle_s", 0.3)))
        await asyncio.sleep(0.5)
        pub.stop()
        await pub_task
        deadline = time.monotonic() + p["timeout_s"]
        while time.monotonic() < deadline and not set(pub.acked) <= set(seen):  # noqa: ASYNC110 (polls state owned elsewhere)
            await asyncio.sleep(0.05)
    finally:
        await client.stop()
        await tokens.aclose()
        await srv.stop()
        if redis is not None:
            redis.kill()
    lost = len(set(pub.acked) - set(seen))
    dup = len(seen) - len(set(seen))
    res = ctx.results
    res.add(NAME, transport, "lost", lost, "count", case)
    res.add(NAME, transport, "duplicated", dup, "count", case)
    res.add(NAME, transport, "delivered", len(set(seen)), "count", case)
    res.add(NAME, transport, "polling_requests", client.poll_count, "count", case)
    _recovery_rows(ctx, transport, case, cycles, client.transitions, float(p["timeout_s"]))
    for t, st in client.transitions:
        res.timelines.append(TimelineRow(NAME, transport, case, t - t_start, "state", st))
    for t, cid in arrivals:
        res.timelines.append(TimelineRow(NAME, transport, case, t - t_start, "message", cid))
    for c in cycles:
        res.timelines.append(
            TimelineRow(NAME, transport, case, c.fault_at - t_start, "fault", case)
        )
        res.timelines.append(
            TimelineRow(NAME, transport, case, c.cleared_at - t_start, "cleared", case)
        )


@dataclass
class Cycle:
    """One interruption: when it began, when the fault was cleared (server listening again,
    route unblocked, Redis back; for token expiry the drop itself), when the client was back."""

    fault_at: float
    cleared_at: float
    recovered: float | None


async def _fault(
    case: str,
    srv: ServerProcess,
    client: ResilientClient,
    redis: Any,
    token: str,
    p: dict[str, Any],
) -> tuple[float, float] | None:
    """Inflict one interruption; (fault_at, cleared_at), or None if none happened."""
    fault_at = time.monotonic()
    if case == "server_kill":
        srv.kill()
        await asyncio.sleep(p["down_s"])
        srv.launch()
        cleared = await srv.listening(p["timeout_s"])
        await srv.wait_ready()
        return fault_at, cleared
    if case == "token_expiry":
        deadline = fault_at + float(p.get("ttl_s", 3.0)) + 3.0
        while time.monotonic() < deadline:
            drop = next(
                (t for t, s in client.transitions if s != "connected" and t > fault_at), None
            )
            if drop is not None:
                return drop, drop
            await asyncio.sleep(0.02)
        return None
    if case == "transport_blocked":
        await _faults(srv.base_url, token, True)
        await asyncio.sleep(max(p["down_s"], 6 * p["time_scale"]))
        await _faults(srv.base_url, token, False)
        return fault_at, time.monotonic()
    if case == "redis_restart" and redis is not None:
        await redis.restart(p["down_s"])
        return fault_at, time.monotonic()
    return None


async def _reconnected(client: ResilientClient, cycle: Cycle, timeout_s: float) -> float | None:
    """First "connected" after the client noticed the interruption. A client that never left
    "connected" was not interrupted: it counts as recovered when the fault cleared."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        drop = _first_not(client.transitions, "connected", cycle.fault_at)
        if drop is not None:
            back = _first(client.transitions, "connected", drop)
            if back is not None:
                return back
        elif time.monotonic() > cycle.cleared_at + 1.0 and client.state == "connected":
            return cycle.cleared_at
        await asyncio.sleep(0.02)
    return None


async def _first_arrival(
    arrivals: list[tuple[float, str]], pub: Publisher, after: float, p: dict[str, Any]
) -> float | None:
    deadline = time.monotonic() + p["timeout_s"]
    while time.monotonic() < deadline:
        got = [t for t, cid in arrivals if pub.acked.get(cid, 0) > after]
        if got:
            return got[0]
        await asyncio.sleep(0.05)
    return None


def _first_not(transitions: Sequence[tuple[float, str]], state: str, after: float) -> float | None:
    return next((t for t, s in transitions if s != state and t >= after), None)


def _recovery_rows(
    ctx: Context,
    transport: str,
    case: str,
    cycles: list[Cycle],
    transitions: Sequence[tuple[float, str]],
    timeout_s: float,
) -> None:
    """One repeat per interruption. A cycle that never recovered is written as a timeout
    (bound at_least): the report scores it as a failure, never drops it."""
    res = ctx.results
    done = [c for c in cycles if c.recovered is not None]
    failed = len(done) < len(cycles)
    note = f"did not recover within the {timeout_s:g} s timeout" if failed else ""
    bound = AT_LEAST if failed else ""
    total = [c.recovered - c.fault_at for c in done if c.recovered is not None]
    after = [max(0.0, c.recovered - c.cleared_at) for c in done if c.recovered is not None]
    if failed:
        total.append(timeout_s)
        after.append(timeout_s)
    if total:
        res.add_repeats(NAME, transport, "time_to_recovered_s", total, "s", case, None, note, bound)
        res.add_repeats(
            NAME, transport, "recovery_after_fault_s", after, "s", case, None, note, bound
        )
    outage = [c.cleared_at - c.fault_at for c in cycles if c.cleared_at > c.fault_at]
    if outage:
        res.add_repeats(NAME, transport, "outage_s", outage, "s", case)
    degraded = [
        d - c.fault_at for c in cycles if (d := _first(transitions, "degraded", c.fault_at))
    ]
    degraded = [x for x in degraded if x >= 0]
    if degraded:
        res.add_repeats(NAME, transport, "time_to_degraded_s", degraded, "s", case)


async def _faults(base_url: str, token: str, blocked: bool) -> None:
    async with (
        lean.new_session() as session,
        session.post(
            f"{base_url}/api/v1/dev/faults",
            json={"realtime_blocked": blocked},
            headers={"X-Rtspike-Dev-Token": token},
        ) as r,
    ):
        if r.status != 200:
            raise RuntimeError(f"dev faults endpoint refused: {r.status} {await r.text()}")


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    cases = list(p["cases"])
    if ctx.redis_url:
        cases.append("redis_restart")
    if p["cases_at_once"]:  # tiny: each case has its own server, and mostly waits on timers
        ctx.status(f"{NAME}: {', '.join(cases)} at once")
        await asyncio.gather(*(_case(ctx, transport, case, p) for case in cases))
    else:  # one at a time: a small machine's CPU is what the recovery figures time
        for case in cases:
            ctx.status(f"{NAME}: {case}")
            await _case(ctx, transport, case, p)
    ctx.used_client(
        transport,
        "resilient",
        f"rtspike.transports.clients.resilient.client.ResilientClient over {transport}",
    )

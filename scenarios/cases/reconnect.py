"""Interruptions seen through the ResilientClient: server SIGKILL + restart, token expiry
mid-stream, the realtime transport blocked while REST works, and (with --redis) a Redis restart
under the bus. A supervisor keeps sending direct messages over REST (retrying each with the same
client_msg_id until acknowledged); the enumerator's handler must end up with every acknowledged
message exactly once.

``time_to_recovered_s`` counts from the interruption (so it includes the outage itself);
``recovery_after_fault_s`` counts from the moment the fault was cleared.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from rtspike.scenarios import lean
from rtspike.scenarios.context import Context, population
from rtspike.scenarios.processes import ServerProcess
from rtspike.scenarios.results import TimelineRow
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
    """Open-ended sender over REST: every message retried until acknowledged. ``to`` empty =
    broadcast to the sender's team."""

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
                while not await self._send(session, cid):  # noqa: ASYNC110 (polls state owned elsewhere)
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


def _first(transitions: list[tuple[float, str]], state: str, after: float) -> float | None:
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
    fault_at = cleared_at = t_start
    try:
        await client.start()
        pub_task = asyncio.create_task(pub.run())
        await asyncio.sleep(1.0)
        fault_at = time.monotonic()
        if case == "server_kill":
            srv.kill()
            await asyncio.sleep(p["down_s"])
            await srv.start()
        elif case == "token_expiry":
            await asyncio.sleep(p.get("ttl_s", 3.0) + 1.5)
            drops = [t for t, s in client.transitions if s != "connected" and t > t_start + 0.5]
            fault_at = drops[0] if drops else fault_at
        elif case == "transport_blocked":
            await _faults(srv.base_url, dev_token, True)
            await asyncio.sleep(max(p["down_s"], 6 * p["time_scale"]))
            await _faults(srv.base_url, dev_token, False)
        elif case == "redis_restart" and redis is not None:
            await redis.restart(p["down_s"])
        cleared_at = time.monotonic() if case != "token_expiry" else fault_at
        deadline = time.monotonic() + p["timeout_s"]
        while time.monotonic() < deadline and client.state != "connected":  # noqa: ASYNC110 (polls state owned elsewhere)
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        pub.stop()
        await pub_task
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
    trans = client.transitions
    degraded = _first(trans, "degraded", fault_at)
    if degraded is not None:
        res.add(NAME, transport, "time_to_degraded_s", degraded - fault_at, "s", case)
    recovered = _first(trans, "connected", cleared_at)
    if case == "redis_restart":
        after = [t for t, cid in arrivals if pub.acked.get(cid, 0) > cleared_at]
        recovered = after[0] if after else None
    if recovered is not None:
        res.add(NAME, transport, "time_to_recovered_s", recovered - fault_at, "s", case)
        res.add(NAME, transport, "recovery_after_fault_s", recovered - cleared_at, "s", case)
    else:
        res.add(
            NAME,
            transport,
            "time_to_recovered_s",
            float(p["timeout_s"]),
            "s",
            case,
            valid=False,
            note="did not recover before the timeout",
        )
    for t, s in trans:
        res.timelines.append(TimelineRow(NAME, transport, case, t - t_start, "state", s))
    for t, cid in arrivals:
        res.timelines.append(TimelineRow(NAME, transport, case, t - t_start, "message", cid))
    res.timelines.append(TimelineRow(NAME, transport, case, fault_at - t_start, "fault", case))
    res.timelines.append(TimelineRow(NAME, transport, case, cleared_at - t_start, "cleared", case))


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
    for case in cases:
        ctx.status(f"{NAME}: {case}")
        await _case(ctx, transport, case, p)
    ctx.used_client(
        transport,
        "resilient",
        f"rtspike.transports.clients.resilient.client.ResilientClient over {transport}",
    )

"""A population of LGAs and all roles: allowed traffic plus every kind of out-of-team attempt.
Every delivered message is checked against the policy at the receiver; a delivery the policy
forbids is a leak (must be 0). Refused connects of non-messaging roles and refused out-of-team
sends are counted; an attempt that was accepted is a leak too."""

from __future__ import annotations

import asyncio
from typing import Any

from rtspike.scenarios import lean
from rtspike.scenarios.context import Context, population
from rtspike.transports import registry
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.principal import Role, UserInfo

NAME = "isolation"
NEEDS_REDIS = False


def allowed(receiver: UserInfo, event: MessageEvent, users: dict[str, UserInfo]) -> bool:
    sender = users.get(event.sender)
    if sender is None or sender.lga_id != receiver.lga_id or event.lga_id != receiver.lga_id:
        return False
    if event.recipient is None:
        return sender.role == Role.SUPERVISOR
    return event.recipient == receiver.id or event.sender == receiver.id


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    users = population(p["lgas"], p["per_lga"])
    by_id = {u.id: u for u in users}
    srv = await ctx.shared_server(transport)
    counts = {"leaks": 0, "violations_refused": 0, "delivered": 0, "expected": 0}
    clients: dict[str, Any] = {}
    try:
        async with lean.new_session() as session:
            pairs = await lean.login_many(session, srv.base_url, [u.login for u in users])

            def handler(me: UserInfo) -> Any:
                def on_message(event: MessageEvent) -> None:
                    if not event.client_msg_id.startswith("iso."):
                        return
                    counts["delivered"] += 1
                    if not allowed(me, event, by_id):
                        counts["leaks"] += 1

                return on_message

            for u in users:
                c = registry.client(transport)(srv.base_url, on_message=handler(u))
                try:
                    await c.connect(pairs[u.login]["access_token"])
                except Exception:
                    if u.role not in (Role.SUPERVISOR, Role.ENUMERATOR):
                        counts["violations_refused"] += 1
                    continue
                if u.role not in (Role.SUPERVISOR, Role.ENUMERATOR):
                    counts["leaks"] += 1
                clients[u.id] = c
            sups = [u for u in users if u.role == Role.SUPERVISOR]
            enums = [u for u in users if u.role == Role.ENUMERATOR]
            n = 0

            async def attempt(sender: UserInfo, msg: dict[str, Any], ok: bool) -> None:
                nonlocal n
                n += 1
                msg = {**msg, "body": "iso", "client_msg_id": f"iso.{n}"}
                try:
                    await clients[sender.id].send(msg)
                    accepted = True
                except Exception:
                    accepted = False
                if not ok:
                    counts["violations_refused" if not accepted else "leaks"] += 1
                elif accepted:
                    team = [e for e in enums if e.lga_id == sender.lga_id]
                    counts["expected"] += len(team) if msg.get("broadcast") else 1

            for _ in range(p["rounds"]):
                for s in sups:
                    other = next(e for e in enums if e.lga_id != s.lga_id)
                    mine = [e for e in enums if e.lga_id == s.lga_id]
                    await attempt(s, {"broadcast": True}, True)
                    await attempt(s, {"to": mine[0].id}, True)
                    await attempt(s, {"to": other.id}, False)
                for e in enums:
                    sup = next(s for s in sups if s.lga_id == e.lga_id)
                    far = next(s for s in sups if s.lga_id != e.lga_id)
                    peer = next(x for x in enums if x.lga_id == e.lga_id and x.id != e.id)
                    await attempt(e, {"to": sup.id}, True)
                    await attempt(e, {"broadcast": True}, False)
                    await attempt(e, {"to": far.id}, False)
                    await attempt(e, {"to": peer.id}, False)
            for _ in range(100):
                if counts["delivered"] >= counts["expected"]:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
    finally:
        await asyncio.gather(*(c.close() for c in clients.values()), return_exceptions=True)
    ctx.used_client(transport, "isolation", lean.client_kind(transport, lean=False))
    case = f"{p['lgas']}lga x {p['per_lga']}"
    for key in ("leaks", "violations_refused", "delivered"):
        ctx.results.add(NAME, transport, key, counts[key], "count", case)
    ctx.results.add(
        NAME, transport, "missing", max(0, counts["expected"] - counts["delivered"]), "count", case
    )

"""The publish/subscribe load worker behind latency, fan-out and multinode.

Runs inside a load generator process. Receivers (lean where possible) connect first; senders
(the transport's registry client: SSE sends over POST, the others over their socket) then publish
on one open-loop schedule: warm-up, then ``repeats`` measurement windows per step. A step adds
receivers (fan-out grows the team between steps). Latency is recorded from each message's
intended send time (``sent_at_ns``) into the histogram of the window that time falls in.
Afterwards every acknowledged send is checked at every receiver it was addressed to.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from rtspike.scenarios import lean
from rtspike.scenarios.loadgen import Generator
from rtspike.scenarios.measure import (
    Accounting,
    Deliveries,
    account,
    encode,
    new_histogram,
    now_ns,
    parse_tag,
    record_us,
    sleep_until,
    tag,
)
from rtspike.transports import registry


class _Window:
    def __init__(self, start_ns: int, end_ns: int) -> None:
        self.start_ns, self.end_ns = start_ns, end_ns
        self.hist = new_histogram()
        self.deliveries = 0


class _State:
    def __init__(self, run: str) -> None:
        self.run = run
        self.windows: list[_Window] = []
        self.seen: dict[str, Deliveries] = {}
        self.received = 0

    def handler(self, receiver_id: str) -> Callable[[dict[str, Any], int], None]:
        got = self.seen.setdefault(receiver_id, Deliveries())

        def on_event(fields: dict[str, Any], recv_ns: int) -> None:
            parsed = parse_tag(str(fields.get("client_msg_id", "")))
            if parsed is None or parsed[0] != self.run:
                return
            self.received += 1
            got.add(str(fields["sender"]), parsed[1])
            sent = fields.get("sent_at_ns")
            if sent is None:
                return
            for w in self.windows:
                if w.start_ns <= sent < w.end_ns:
                    record_us(w.hist, (recv_ns - sent) / 1000)
                    w.deliveries += 1
                    break

        return on_event


async def _connect_all(receivers: list[lean.Receiver], tokens: list[str], rate_per_s: float) -> int:
    """Connect at a fixed rate (bounded concurrency); returns how many failed."""
    sem = asyncio.Semaphore(64)
    start = now_ns()
    interval = 1e9 / rate_per_s if rate_per_s > 0 else 0

    async def one(i: int, r: lean.Receiver, token: str) -> bool:
        await sleep_until(start + int(i * interval))
        async with sem:
            try:
                await r.connect(token)
                return True
            except Exception:
                return False

    ok = await asyncio.gather(
        *(one(i, r, t) for i, (r, t) in enumerate(zip(receivers, tokens, strict=True)))
    )
    return sum(1 for x in ok if not x)


async def run(gen: Generator, p: dict[str, Any]) -> dict[str, Any]:
    transport, run_tag = p["transport"], p["run"]
    state = _State(run_tag)
    rx_users: list[dict[str, str]] = p["receivers"]
    tx_users: list[dict[str, Any]] = p["senders"]
    steps: list[int] = p.get("steps") or [len(rx_users)]
    session = lean.new_session()
    receivers: list[lean.Receiver] = []
    senders: list[Any] = []
    acked: list[tuple[str, int, str, str, int]] = []
    counters = {"send_errors": 0, "sent": 0, "connect_failed": 0}
    try:
        names = [u["login"] for u in rx_users] + [u["login"] for u in tx_users]
        pairs = await lean.login_many(session, p["send_url"], names)
        for u in tx_users:
            c = registry.client(transport)(p["send_url"], on_message=None)
            await c.connect(pairs[u["login"]]["access_token"])
            senders.append(c)
        await gen.sync()
        result_steps: list[dict[str, Any]] = []
        seq = 0
        for step, size in enumerate(steps):
            new = rx_users[len(receivers) : size]
            batch = [
                lean.receiver(transport, p["recv_url"], session, state.handler(u["id"]), p["lean"])
                for u in new
            ]
            tokens = [pairs[u["login"]]["access_token"] for u in new]
            counters["connect_failed"] += await _connect_all(batch, tokens, p["connect_rate"])
            receivers += batch
            await asyncio.sleep(p.get("settle_s", 0.3))
            seq = await _publish(gen, p, state, senders, tx_users, step, seq, acked, counters)
            windows = state.windows[-p["repeats"] :]
            result_steps.append(
                {
                    "receivers": size,
                    "windows": [
                        {
                            **gen.windows[-p["repeats"] + i],
                            "hist": encode(w.hist),
                            "deliveries": w.deliveries,
                        }
                        for i, w in enumerate(windows)
                    ],
                }
            )
        acc = await _drain_and_account(p, state, rx_users, steps, acked)
        closed = sum(1 for r in receivers if r.closed.is_set())
        return {
            "steps": result_steps,
            "accounting": acc.as_dict(),
            "closed_early": closed,
            "acked": len(acked),
            **counters,
        }
    finally:
        for c in senders:
            with contextlib.suppress(Exception):
                await c.close()
        await asyncio.gather(*(r.close() for r in receivers), return_exceptions=True)
        await session.close()


async def _publish(
    gen: Generator,
    p: dict[str, Any],
    state: _State,
    senders: list[Any],
    tx_users: list[dict[str, Any]],
    step: int,
    seq: int,
    acked: list[tuple[str, int, str, str, int]],
    counters: dict[str, int],
) -> int:
    rate, warm, win, repeats = p["rate_per_s"], p["warmup_s"], p["window_s"], p["repeats"]
    start = now_ns() + 50_000_000
    bounds = [start + int((warm + i * win) * 1e9) for i in range(repeats + 1)]
    state.windows += [_Window(bounds[i], bounds[i + 1]) for i in range(repeats)]
    tasks: set[asyncio.Task[None]] = set()
    rr: dict[int, int] = {}

    async def send_one(k: int, s: int, intended: int) -> None:
        u = tx_users[k]
        n = rr.get(k, 0)
        rr[k] = n + 1
        mode = u["mode"] if u["mode"] != "mixed" else ("broadcast" if n % 2 == 0 else "direct")
        msg: dict[str, Any] = {
            "body": "x" * p.get("body_bytes", 64),
            "client_msg_id": tag(state.run, s),
            "sent_at_ns": intended,
        }
        if mode == "broadcast":
            msg["broadcast"] = True
            target = u["lga"]
        else:
            target = u["targets"][n % len(u["targets"])]
            msg["to"] = target
        try:
            await senders[k].send(msg)
            acked.append((u["id"], s, mode, target, step))
        except Exception:
            counters["send_errors"] += 1

    async def windows() -> None:
        for b in bounds:
            await sleep_until(b)
            if b != bounds[0]:
                gen.end()
            if b != bounds[-1]:
                gen.begin()

    ticker = asyncio.get_running_loop().create_task(windows())
    interval = 1e9 / rate
    total = int(rate * (warm + win * repeats))
    for i in range(total):
        intended = start + int(i * interval)
        await sleep_until(intended)
        seq += 1
        counters["sent"] += 1
        t = asyncio.get_running_loop().create_task(send_one(i % len(senders), seq, intended))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    await ticker
    if tasks:
        await asyncio.wait(tasks, timeout=15)
    return seq


async def _drain_and_account(
    p: dict[str, Any],
    state: _State,
    rx_users: list[dict[str, str]],
    steps: list[int],
    acked: list[tuple[str, int, str, str, int]],
) -> Accounting:
    expected: dict[str, dict[str, set[int]]] = {u["id"]: {} for u in rx_users}
    by_lga: dict[int, dict[str, list[str]]] = {}
    for step, size in enumerate(steps):
        lgas: dict[str, list[str]] = {}
        for u in rx_users[:size]:
            lgas.setdefault(u["lga"], []).append(u["id"])
        by_lga[step] = lgas
    connected = {step: {u["id"] for u in rx_users[:size]} for step, size in enumerate(steps)}
    total = 0
    for sender, s, mode, target, step in acked:
        ids = by_lga[step].get(target, []) if mode == "broadcast" else [target]
        for rid in ids:
            if rid != sender and rid in connected[step]:
                expected[rid].setdefault(sender, set()).add(s)
                total += 1
    loop = asyncio.get_running_loop()
    quiet_until = loop.time() + p.get("drain_s", 5.0)
    hard_stop = loop.time() + 60.0
    last = state.received
    while state.received < total and loop.time() < min(quiet_until, hard_stop):
        await asyncio.sleep(0.05)
        if state.received != last:
            last, quiet_until = state.received, loop.time() + p.get("drain_s", 5.0)
    acc = Accounting()
    for rid, want in expected.items():
        seen = state.seen.get(rid, Deliveries()).seen
        one = account(want, seen)
        acc.delivered += one.delivered
        acc.lost += one.lost
        acc.duplicated += one.duplicated
        acc.reordered += one.reordered
    return acc

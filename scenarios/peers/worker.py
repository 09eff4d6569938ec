"""The load worker of `rtspike bench peers` (runs in a loadgen process, see scenarios/loadgen.py).

One target (an rtspike transport or a bare-library baseline), two phases, each with its own
receivers (the lean ones every rtspike scenario uses):

- burst: every receiver in one room; ``messages`` broadcasts with ``concurrency`` in flight;
  the server's CPU over the burst per delivery, and wall-clock deliveries/s;
- open loop: receivers spread over ``rooms`` rooms; broadcasts on a fixed schedule (round
  robin over the rooms), latency from each message's intended send time (no coordinated
  omission), warm-up discarded.

Senders (``senders.py``) differ by what is measured and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import aiohttp

from rtspike.scenarios import lean
from rtspike.scenarios.loadgen import Generator
from rtspike.scenarios.measure import encode, new_histogram, now_ns, record_us, sleep_until
from rtspike.scenarios.peers import senders

CONNECT_CONCURRENCY = 50
DONE_TIMEOUT_S = 120.0


class Counter:
    """Deliveries of one phase (by client_msg_id prefix), unique per receiver, plus latency of
    those whose intended send time falls in the measurement window."""

    def __init__(self, phase: str, expected: int) -> None:
        self.phase = phase + "."
        self.expected = expected
        self.total = 0
        self.unique: set[tuple[int, str]] = set()
        self.last_ns = 0
        self.window = (0, 0)
        self.hist = new_histogram()
        self.done = asyncio.Event()

    def handler(self, receiver: int) -> lean.EventHandler:
        def on_event(fields: dict[str, Any], recv_ns: int) -> None:
            tag = str(fields.get("client_msg_id", ""))
            if not tag.startswith(self.phase):
                return
            self.total += 1
            self.unique.add((receiver, tag))
            self.last_ns = recv_ns
            sent = fields.get("sent_at_ns")
            if sent is not None and self.window[0] <= sent < self.window[1]:
                record_us(self.hist, (recv_ns - sent) / 1000)
            if len(self.unique) >= self.expected:
                self.done.set()

        return on_event


async def _connect(
    p: dict[str, Any], session: aiohttp.ClientSession, tokens: list[str], counter: Counter
) -> list[lean.Receiver]:
    receivers = [
        lean.receiver(p["transport"], p["base_url"], session, counter.handler(i))
        for i in range(len(tokens))
    ]
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(r: lean.Receiver, token: str) -> None:
        async with sem:
            await r.connect(token)

    await asyncio.gather(*(one(r, t) for r, t in zip(receivers, tokens, strict=True)))
    return receivers


async def _tokens(
    p: dict[str, Any], session: aiohttp.ClientSession, names: list[str]
) -> dict[str, str]:
    if p["peer"]:
        return {}
    pairs = await lean.login_many(session, p["base_url"], names)
    return {n: pair["access_token"] for n, pair in pairs.items()}


async def burst(
    gen: Generator, p: dict[str, Any], session: aiohttp.ClientSession
) -> dict[str, Any]:
    n, messages, room = p["connections"], p["messages"], p["rooms"][0]
    names = [f"enum.{room}.{i:03d}" for i in range(1, n + 1)]
    tokens = await _tokens(p, session, [*names, f"sup.{room}"])
    counter = Counter("b" + p["run"], n * messages)
    receivers = await _connect(p, session, [tokens.get(x, room) for x in names], counter)
    sender = await senders.connected(p, session, [room], [tokens.get(f"sup.{room}", room)])
    try:
        await asyncio.sleep(0.3)
        sem = asyncio.Semaphore(p["concurrency"])

        async def one(i: int) -> None:
            async with sem:
                await sender.send(0, f"{counter.phase}{i}", now_ns())

        gen.begin()
        started = now_ns()
        await asyncio.gather(*(one(i) for i in range(messages)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(counter.done.wait(), DONE_TIMEOUT_S)
        window = gen.end()
    finally:
        await sender.close()
        await asyncio.gather(*(r.close() for r in receivers), return_exceptions=True)
    delivered = len(counter.unique)
    wall = max(1e-9, (counter.last_ns - started) / 1e9)
    server_cpu_s = float(window["server0_cpu_pct"]) * float(window["wall_s"]) / 100.0
    return {
        "expected": counter.expected,
        "delivered": delivered,
        "duplicated": counter.total - delivered,
        "wall_per_s": delivered / wall,
        "server_us": server_cpu_s * 1e6 / max(1, delivered),
        "gen_cpu_pct": window["gen_cpu_pct"],
        "valid": bool(window["valid"]),
    }


async def open_loop(
    gen: Generator, p: dict[str, Any], session: aiohttp.ClientSession
) -> dict[str, Any]:
    rooms: list[str] = p["rooms"]
    per_room = max(1, p["connections"] // len(rooms))
    names = [f"enum.{r}.{i:03d}" for r in rooms for i in range(1, per_room + 1)]
    room_of = [r for r in rooms for _ in range(per_room)]
    sups = [f"sup.{r}" for r in rooms]
    tokens = await _tokens(p, session, [*names, *sups])
    rate, warm, win = p["rate_per_s"], p["warmup_s"], p["window_s"]
    total = int(rate * (warm + win))
    counter = Counter("o" + p["run"], total * per_room)
    receivers = await _connect(
        p, session, [tokens.get(x, r) for x, r in zip(names, room_of, strict=True)], counter
    )
    sender = await senders.connected(
        p, session, rooms, [tokens.get(s, r) for s, r in zip(sups, rooms, strict=True)]
    )
    errors = 0
    tasks: set[asyncio.Task[None]] = set()

    async def one(i: int, intended: int) -> None:
        nonlocal errors
        try:
            await sender.send(i % len(rooms), f"{counter.phase}{i}", intended)
        except Exception:
            errors += 1

    try:
        await asyncio.sleep(0.3)
        start = now_ns() + 50_000_000
        counter.window = (start + int(warm * 1e9), start + int((warm + win) * 1e9))
        interval = 1e9 / rate
        began = False
        for i in range(total):
            intended = start + int(i * interval)
            await sleep_until(intended)
            if not began and intended >= counter.window[0]:
                gen.begin()
                began = True
            t = asyncio.get_running_loop().create_task(one(i, intended))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        await sleep_until(counter.window[1])
        window = gen.end() if began else {"server0_cpu_pct": 0.0, "wall_s": 0.0, "valid": False}
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(counter.done.wait(), 15.0)
    finally:
        await sender.close()
        await asyncio.gather(*(r.close() for r in receivers), return_exceptions=True)
    delivered = len(counter.unique)
    in_window = int(counter.hist.get_total_count())
    server_cpu_s = float(window["server0_cpu_pct"]) * float(window["wall_s"]) / 100.0
    return {
        "expected": counter.expected,
        "delivered": delivered,
        "duplicated": counter.total - delivered,
        "send_errors": errors,
        "hist": encode(counter.hist),
        "server_us": server_cpu_s * 1e6 / max(1, in_window),
        "gen_cpu_pct": window.get("gen_cpu_pct", 0.0),
        "valid": bool(window["valid"]),
    }


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No collection of the generator's own heap during the open loop (a few seconds, bounded).

    A generator that stalls measures itself, not the server: with the collector on, its full
    collections (~60 ms each, every ~6 s as the phase's accounting grows) held back every
    delivery and send around them, and they set the p99 of whichever target they fell on
    (measured: the slowest 1% of rtspike WebSocket deliveries all sat next to one). The burst's
    accounting is collected and the rest frozen first, so the pause starts from a clean heap.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def run(gen: Generator, p: dict[str, Any]) -> dict[str, Any]:
    session = lean.new_session()
    try:
        first = await burst(gen, p, session)
        with collector_paused():
            return {"burst": first, "open": await open_loop(gen, p, session)}
    finally:
        await session.close()

"""`rtspike bench fanout`: deliveries per second from ONE server process to one team.

A supervisor broadcasts a burst of messages as fast as acks allow; N lean receivers (in their
own process) count deliveries. Two figures come out, and the difference between them matters on
a small machine where the receivers and the server share the cores:

- wall-clock deliveries/s: from the first send to the last delivery (bounded by whichever of
  server and receivers saturates first; the receivers' CPU is printed so you can tell which);
- server CPU per delivery: the server process's CPU time over the whole burst divided by the
  deliveries, i.e. what one fully used server core can deliver (1e6 / microseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from rich.table import Table

from rtspike.console import console
from rtspike.scenarios import lean
from rtspike.scenarios.orchestrate import Orchestrator
from rtspike.scenarios.processes import spawn_kwargs
from rtspike.transports import registry
from rtspike.transports.core.logging import configure_logging

BODY = "x" * 100
DISCONNECTS = "rtspike_server_disconnects_total{"


async def receive(
    base_url: str, transport: str, n: int, expected: int, ready: Path
) -> dict[str, Any]:
    """Generator process: connect n enumerators, count deliveries until ``expected``; the
    running count goes to ``<ready>.progress`` so the sender can time each burst apart."""
    session = lean.new_session()
    progress = ready.with_suffix(".progress")
    seen: set[tuple[int, str]] = set()
    share = expected // max(1, n)
    counts = [0] * n
    total = 0
    done = asyncio.Event()
    last = 0.0

    def handler(receiver: int) -> lean.EventHandler:
        def on_event(fields: dict[str, Any], _: int) -> None:
            nonlocal total, last
            total += 1
            key = (receiver, str(fields.get("client_msg_id")))
            if key not in seen:
                seen.add(key)
                counts[receiver] += 1
            last = time.time()
            if len(seen) % n == 0:  # one message's worth: tell the sender how far we are
                progress.write_text(str(len(seen)))
            if len(seen) >= expected:
                done.set()

        return on_event

    names = [f"enum.lga-01.{i:03d}" for i in range(1, n + 1)]
    pairs = await lean.login_many(session, base_url, names)
    receivers = [lean.receiver(transport, base_url, session, handler(i)) for i in range(n)]
    sem = asyncio.Semaphore(50)

    async def connect(r: lean.Receiver, name: str) -> None:
        async with sem:
            await r.connect(pairs[name]["access_token"])

    await asyncio.gather(*(connect(r, name) for r, name in zip(receivers, names, strict=True)))
    me = psutil.Process()
    cpu0 = sum(me.cpu_times()[:2])
    ready.write_text("ready")  # noqa: ASYNC240 - a few bytes, once

    def short_and_closed() -> list[int]:
        return [i for i, r in enumerate(receivers) if r.closed.is_set() and counts[i] < share]

    async def settled() -> None:
        """Everything arrived, or every receiver still short of its share was closed (by the
        server: nothing more can reach it), so a cut receiver does not hold the run for 300 s."""
        while not done.is_set():
            if all(counts[i] >= share or r.closed.is_set() for i, r in enumerate(receivers)):
                return
            await asyncio.sleep(0.1)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(settled(), timeout=300)
    cpu = sum(me.cpu_times()[:2]) - cpu0
    cut = short_and_closed()
    await asyncio.gather(*(r.close() for r in receivers), return_exceptions=True)
    await session.close()
    return {
        "received": len(seen),
        "duplicated": total - len(seen),
        "last": last,
        "cpu_s": cpu,
        "cut": [{"close_code": receivers[i].close_code, "missing": share - counts[i]} for i in cut],
    }


async def slow_consumer_cuts(base_url: str) -> int:
    """Connections the server says it cut as slow consumers (its /metrics counter)."""
    async with lean.new_session() as session, session.get(f"{base_url}/api/v1/metrics") as r:
        text = await r.text()
    return int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(DISCONNECTS) and 'reason="slow_consumer"' in line
        )
    )


async def measure(
    transport: str,
    connections: int,
    messages: int,
    workdir: Path,
    orch: Orchestrator | None = None,
    workers: int = 1,
    settings: dict[str, str] | None = None,
    extra_pids: tuple[int, ...] = (),
    bursts: int = 1,
) -> dict[str, Any]:
    """One burst against a fresh server (started by ``orch``, or one of our own), of
    ``workers`` processes; ``extra_pids`` (a Redis of our own) count as server CPU too.
    ``bursts`` > 1 splits the messages into that many bursts, each waited for until delivered,
    so the server CPU per delivery comes with one figure per burst (``server_us_each``)."""
    own = orch is None
    orch = orch or Orchestrator(workdir)
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before any I/O
    srv = await orch.server(
        f"fanout-{transport}",
        transport,
        workers=workers,
        seed_lgas=1,
        seed_enumerators=connections,
        keepalive_s=120,
        queue_bound=5000,
        **(settings or {}),
    )

    def server_cpu_s() -> float:
        extra = 0.0
        for pid in extra_pids:
            t = psutil.Process(pid).cpu_times()
            extra += t.user + t.system
        return srv.sample()["cpu_s"] + extra

    try:
        ready, out = workdir / f"{transport}.ready", workdir / f"{transport}.json"
        expected = connections * messages
        ready.with_suffix(".progress").unlink(missing_ok=True)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rtspike.scenarios.benches.fanout",
            srv.base_url,
            transport,
            str(connections),
            str(expected),
            str(ready),
            str(out),
            **spawn_kwargs(),  # type: ignore[arg-type]
        )
        while not ready.exists():
            if proc.returncode is not None:
                raise RuntimeError("receiver process failed; see its output above")
            await asyncio.sleep(0.1)
        client = registry.client(transport)(srv.base_url)
        pair = await lean.login(lean_session := lean.new_session(), srv.base_url, "sup.lga-01")
        await lean_session.close()
        await client.connect(pair["access_token"])
        cpu0 = server_cpu_s()
        sem = asyncio.Semaphore(8)
        started = time.time()

        async def send(i: int) -> None:
            async with sem:
                await client.send({"broadcast": True, "body": BODY, "client_msg_id": f"fb-{i}"})

        each: list[float] = []
        progress = ready.with_suffix(".progress")
        bounds = [messages * k // max(1, bursts) for k in range(max(1, bursts) + 1)]
        for lo, hi in itertools.pairwise(bounds):
            mark = server_cpu_s()
            await asyncio.gather(*(send(i) for i in range(lo, hi)))
            if bursts > 1:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and proc.returncode is None:
                    text = progress.read_text() if progress.exists() else "0"
                    if int(text or 0) >= hi * connections:
                        break
                    await asyncio.sleep(0.005)
                each.append((server_cpu_s() - mark) * 1e6 / max(1, (hi - lo) * connections))
        await proc.wait()
        server_cpu = server_cpu_s() - cpu0
        await client.close()
        res = json.loads(out.read_text())
        wall = max(1e-9, res["last"] - started)
        server_cuts = await slow_consumer_cuts(srv.base_url) if workers == 1 else None
        return {
            "transport": transport,
            "connections": connections,
            "workers": workers,
            "delivered": res["received"],
            "duplicated": res["duplicated"],
            "expected": expected,
            "wall_per_s": res["received"] / wall,
            "server_us": server_cpu * 1e6 / max(1, res["received"]),
            "server_us_each": each,
            "receiver_cpu_pct": 100.0 * res["cpu_s"] / wall,
            "server_cpu_pct": 100.0 * server_cpu / wall,
            "receivers_cut": len(res["cut"]),
            "cut_missing": sum(c["missing"] for c in res["cut"]),
            "server_slow_cuts": server_cuts,
        }
    finally:
        if own:
            await orch.stop_all()
        else:
            await srv.stop()


def main(transports: list[str], connections: int, messages: int) -> int:
    configure_logging("WARNING")
    rows = []
    with tempfile.TemporaryDirectory(prefix="rtspike-fanout-") as tmp:
        for t in transports:
            with console.status(f"fan-out: {t}, {connections} connections x {messages} msgs"):
                rows.append(asyncio.run(measure(t, connections, messages, Path(tmp))))
    table = Table(title=f"fan-out from one server process to {connections} connections, one team")
    for col in (
        "transport",
        "delivered",
        "wall /s",
        "server us",
        "per core-s",
        "server CPU",
        "recv CPU",
    ):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["transport"],
            f"{r['delivered']:,}/{r['expected']:,}",
            f"{r['wall_per_s']:,.0f}",
            f"{r['server_us']:.1f}",
            f"{1e6 / r['server_us']:,.0f}" if r["server_us"] else "-",
            f"{r['server_cpu_pct']:.0f}",
            f"{r['receiver_cpu_pct']:.0f}",
        )
    console.print(table)
    console.print(
        "Receivers near 100% CPU mean the wall-clock figure is theirs, not the "
        "server's; the per-core figure is what the server itself costs."
    )
    return 0 if all(r["delivered"] == r["expected"] for r in rows) else 1


if __name__ == "__main__":
    configure_logging("ERROR")
    url, transport, n, expected, ready, out = sys.argv[1:7]
    result = asyncio.run(receive(url, transport, int(n), int(expected), Path(ready)))
    Path(out).write_text(json.dumps(result))

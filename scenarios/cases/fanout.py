"""Fan-out from one server process to one team, in two phases.

1. Capacity: growing team sizes at a fixed broadcast rate; capacity = the largest team whose p95
   stays within the latency objective (stepping up as websocket-bench does).
2. Throughput: a burst to one large team (scenarios/fanout_bench.py): wall-clock deliveries/s
   and the server CPU each delivery costs. On a small shared machine the receivers saturate
   before the server does, so the CPU cost per delivery is the figure that carries to a bigger
   box: deliveries per server core-second = 1e6 / that cost.

Server CPU and RSS are sampled per window."""

from __future__ import annotations

from typing import Any

from rtspike.scenarios import lean, loadgen
from rtspike.scenarios.benches import fanout as fanout_bench
from rtspike.scenarios.context import (
    Context,
    add_accounting,
    add_generator_rows,
    population,
    user_dict,
)
from rtspike.scenarios.measure import decode, merge, summary_ms
from rtspike.scenarios.results import AT_LEAST, SeriesRow
from rtspike.transports.core.principal import Role

NAME = "fanout"
NEEDS_REDIS = False


async def run(ctx: Context, transport: str) -> None:
    p = ctx.params(NAME)
    sizes: list[int] = p["sizes"]
    users = population(1, max(sizes))
    team = [u for u in users if u.role == Role.ENUMERATOR]
    sup = next(u for u in users if u.role == Role.SUPERVISOR)
    srv = await ctx.server(
        f"{NAME}-{transport}", transport, seed_lgas=1, seed_enumerators=max(sizes)
    )
    try:
        params = {
            "transport": transport,
            "run": f"fan{transport}",
            "send_url": srv.base_url,
            "recv_url": srv.base_url,
            "lean": True,
            "receivers": [user_dict(u) for u in team],
            "senders": [{**user_dict(sup), "mode": "broadcast", "targets": []}],
            "rate_per_s": p["rate_per_s"],
            "warmup_s": p["warmup_s"],
            "window_s": p["window_s"],
            "repeats": p["repeats"],
            "connect_rate": p["connect_rate"],
            "steps": sizes,
            "server_pids": [srv.pid],
            "drain_s": 8.0,
        }
        res = await loadgen.run_worker("rtspike.scenarios.traffic:run", params, timeout_s=900)
    finally:
        await srv.stop()
    ctx.used_client(transport, "receivers", lean.client_kind(transport))
    objective = float(p["objective_ms"])
    capacity = 0
    crossed = False
    last = res["steps"][-1]
    for step in res["steps"]:
        windows = step["windows"]
        size = step["receivers"]
        s = summary_ms(merge(w["hist"] for w in windows))
        rate = sum(w["deliveries"] for w in windows) / (p["window_s"] * len(windows))
        cpu = max(float(w.get("server0_cpu_pct", 0.0)) for w in windows)
        rss = max(float(w.get("server0_rss_mb", 0.0)) for w in windows)
        for y_name, y, unit in (
            ("deliveries_per_s", rate, "1/s"),
            ("latency_p95_ms", s["p95"], "ms"),
            ("server_cpu_pct", cpu, "%"),
            ("server_rss_mb", rss, "MB"),
        ):
            ctx.results.series.append(
                SeriesRow(NAME, transport, "team_size", size, y_name, y, unit)
            )
        if not crossed and s["p95"] <= objective:
            capacity = size
        else:
            crossed = True
    windows = last["windows"]
    case = f"team{last['receivers']}@{p['rate_per_s']}bps"
    valid = [bool(w["valid"]) for w in windows]
    if p.get("burst_size"):
        await _throughput(
            ctx,
            transport,
            int(p["burst_size"]),
            int(p["burst_messages"]),
            int(p.get("burst_repeats", 1)),
        )
    ctx.results.add_repeats(
        NAME,
        transport,
        "team_deliveries_per_s",
        [w["deliveries"] / p["window_s"] for w in windows],
        "1/s",
        case,
        valid,
    )
    ctx.results.add_repeats(
        NAME,
        transport,
        "server_cpu_pct",
        [float(w["server0_cpu_pct"]) for w in windows],
        "%",
        case,
        valid,
    )
    ctx.results.add_repeats(
        NAME,
        transport,
        "server_rss_mb",
        [float(w["server0_rss_mb"]) for w in windows],
        "MB",
        case,
        valid,
    )
    p95 = [summary_ms(decode(w["hist"]))["p95"] for w in windows]
    ctx.results.add_repeats(NAME, transport, "latency_p95_ms", p95, "ms", case, valid)
    note = "" if crossed else f"at least {sizes[-1]}, the profile's largest team (a lower bound)"
    ctx.results.add(
        NAME,
        transport,
        "capacity_connections",
        capacity,
        "count",
        f"p95<={objective:g}ms",
        all(valid),
        note,
        "" if crossed else AT_LEAST,
    )
    add_generator_rows(ctx.results, NAME, transport, case, windows)
    add_accounting(ctx.results, NAME, transport, res["accounting"], case)
    ctx.results.add(NAME, transport, "connect_failed", res["connect_failed"], "count", case)
    ctx.results.add(NAME, transport, "closed_early", res["closed_early"], "count", case)


async def _throughput(
    ctx: Context, transport: str, size: int, messages: int, bursts: int = 1
) -> None:
    """Peak fan-out: a burst to one team (see scenarios/fanout_bench.py). The server's CPU per
    delivery is measured over the whole burst, so it holds even when the receivers, which share
    this host, are the bottleneck of the wall-clock figure."""
    workdir = ctx.orch.run_dir / "burst"
    r = await fanout_bench.measure(transport, size, messages, workdir, ctx.orch, bursts=bursts)
    case = f"team{size}-burst{messages}"
    complete = r["delivered"] == r["expected"]
    note = (
        f"server CPU {r['server_cpu_pct']:.0f}%, receivers CPU {r['receiver_cpu_pct']:.0f}% "
        "of one core; receivers near 100% bound the wall-clock figure"
    )
    ctx.results.add(
        NAME, transport, "deliveries_per_s", r["wall_per_s"], "1/s", case, complete, note
    )
    each = r["server_us_each"] or [r["server_us"]]
    ctx.results.add_repeats(
        NAME, transport, "server_us_per_delivery", each, "us", case, [complete] * len(each)
    )
    ctx.results.add(
        NAME,
        transport,
        "deliveries_per_core_s",
        1e6 / r["server_us"] if r["server_us"] else 0.0,
        "1/s",
        case,
        complete,
    )
    lost, why = burst_loss(r)
    ctx.results.add(NAME, transport, "burst_lost", lost, "count", case, not why, why)
    ctx.results.add(NAME, transport, "burst_receivers_cut", r["receivers_cut"], "count", case)


def burst_loss(r: dict[str, Any]) -> tuple[int, str]:
    """The burst's missing deliveries, and why they do not count as a transport's loss (empty
    when they do). On a small shared machine the receiver process can starve: the server then
    cuts its stalled connections (bounded buffers, by design: at the queue bound, or after
    ``stall_timeout_s`` without progress), and what those missed stays in the log for their
    next connection; the lean receivers do not reconnect. When every missing delivery belongs
    to a receiver closed before its share arrived, and the server counted at least that many
    slow-consumer cuts (every transport counts them, in ``rtspike_server_disconnects_total``),
    the figure says "receiver overloaded" (the gate shows not measured) instead of a loss."""
    lost = int(r["expected"] - r["delivered"])
    cuts, server_cuts = int(r["receivers_cut"]), r.get("server_slow_cuts")
    counted = server_cuts is not None and server_cuts >= cuts
    if lost == 0 or lost != r["cut_missing"] or not counted:
        return lost, ""
    return lost, (
        f"receiver overloaded: {cuts} receiver(s) closed by the server before their share "
        f"arrived, {server_cuts} counted as slow consumers; their {lost} missing deliveries "
        "stay in the log for a reconnect, so this is no transport loss"
    )

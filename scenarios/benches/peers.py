"""`rtspike bench peers`: rtspike next to the bare libraries it is built on, as same-run ratios.

Every target (each rtspike transport, and each baseline its spec declares, see
``scenarios/peers``) gets a fresh server process per round and the same worker
(``scenarios/peers/worker.py``): a burst to one room (server CPU per delivery, wall-clock
deliveries/s) and an open loop at a fixed rate over several rooms (p50/p99/p99.9 from the
intended send time). Rounds are interleaved (each round runs every target once, in a rotated
order), so slow drift of a shared machine hits both sides of a ratio alike; a ratio is taken
within a round and the median and spread (max - min) of the per-round ratios are reported.
Ratios are rtspike / baseline: for CPU and latency below 1 means rtspike costs less; for
deliveries/s above 1 means rtspike is faster.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rtspike.scenarios import lean, loadgen, manifest, peers
from rtspike.scenarios.measure import decode, summary_ms
from rtspike.scenarios.orchestrate import Orchestrator, settings_env
from rtspike.scenarios.processes import ServerProcess
from rtspike.scenarios.results import Results, default_root
from rtspike.scenarios.runner import new_run_id, quiet_libraries
from rtspike.transports import registry
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.bench.peers")
NAME = "peers"
RTSPIKE = "rtspike"
STOCK_NOTE = "stock library path"


@dataclass(frozen=True)
class Shape:
    """What every target is put through (the same for all of them in one run)."""

    connections: int = 1000
    messages: int = 100
    concurrency: int = 8
    rooms: int = 10
    rate_per_s: float = 50.0
    warmup_s: float = 2.0
    window_s: float = 6.0
    repeats: int = 3


@dataclass
class PeerServer(ServerProcess):
    """A baseline server process, started and sampled like an rtspike one."""

    peer: peers.Peer | None = None

    def command(self) -> list[str]:
        assert self.peer is not None
        return self.peer.command(self.port)


@dataclass(frozen=True)
class Target:
    name: str  # the rtspike transport name, or the baseline's name
    receiver: str
    peer: peers.Peer | None = None

    @property
    def label(self) -> str:
        return self.peer.baseline.label if self.peer else f"rtspike {self.name}"


def targets(transports: list[str], baselines: list[peers.Peer]) -> list[Target]:
    wanted = {p.receiver for p in baselines} | set(transports)
    own = [Target(t, t) for t in registry.names() if t in wanted]
    return own + [Target(p.baseline.name, p.receiver, p) for p in baselines]


async def _start(orch: Orchestrator, target: Target, shape: Shape, round_no: int) -> ServerProcess:
    if target.peer is None:
        return await orch.server(
            f"{NAME}-{target.name}-{round_no}",
            target.name,
            seed_lgas=shape.rooms,
            seed_enumerators=shape.connections,
            keepalive_s=120,
            queue_bound=5000,
        )
    env = {"NODE_PATH": str(peers.NODE_MODULES)}
    srv = PeerServer(
        target.receiver,
        orch.run_dir / "servers" / f"{target.name}-{round_no}",
        env,
        name=f"{NAME}-{target.name}-{round_no}",
        peer=target.peer,
    )
    orch.servers.append(srv)
    await srv.start()
    return srv


async def measure_once(
    orch: Orchestrator, target: Target, shape: Shape, round_no: int
) -> dict[str, Any]:
    srv = await _start(orch, target, shape, round_no)
    try:
        params = {
            "transport": target.receiver,
            "peer": target.peer is not None,
            "base_url": srv.base_url,
            "run": f"r{round_no}",
            "connections": shape.connections,
            "messages": shape.messages,
            "concurrency": shape.concurrency,
            "rooms": [f"lga-{i:02d}" for i in range(1, shape.rooms + 1)],
            "rate_per_s": shape.rate_per_s,
            "warmup_s": shape.warmup_s,
            "window_s": shape.window_s,
            "server_pids": [srv.pid],
        }
        return await loadgen.run_worker("rtspike.scenarios.peers.worker:run", params, timeout_s=600)
    finally:
        await srv.stop()


async def _measure_retrying(
    orch: Orchestrator, target: Target, shape: Shape, round_no: int
) -> dict[str, Any]:
    """One retry on a fresh server: a shared box sometimes drops a loopback connection, and one
    such hiccup should not cost a 20-minute run; a second failure is reported."""
    try:
        return await measure_once(orch, target, shape, round_no)
    except loadgen.WorkerFailed as exc:
        log.warning("peers.retry", target=target.name, error=str(exc).splitlines()[0][:200])
        return await measure_once(orch, target, shape, round_no)


def figures(res: dict[str, Any]) -> dict[str, float]:
    """One round of one target, flattened: the figures ratios are taken of."""
    lat = summary_ms(decode(res["open"]["hist"]))
    return {
        "server_us_per_delivery": res["burst"]["server_us"],
        "deliveries_per_s": res["burst"]["wall_per_s"],
        "open_server_us_per_delivery": res["open"]["server_us"],
        "latency_p50_ms": lat["p50"],
        "latency_p99_ms": lat["p99"],
        "latency_p999_ms": lat["p999"],
        "missing": float(
            res["burst"]["expected"]
            - res["burst"]["delivered"]
            + res["open"]["expected"]
            - res["open"]["delivered"]
        ),
        "duplicated": float(res["burst"]["duplicated"] + res["open"]["duplicated"]),
        "valid": float(res["burst"]["valid"] and res["open"]["valid"]),
    }


RATIOS = {
    "cpu_ratio": "server_us_per_delivery",
    "throughput_ratio": "deliveries_per_s",
    "open_cpu_ratio": "open_server_us_per_delivery",
    "p50_ratio": "latency_p50_ms",
    "p99_ratio": "latency_p99_ms",
    "p999_ratio": "latency_p999_ms",
}
UNITS = {
    "server_us_per_delivery": "us",
    "deliveries_per_s": "1/s",
    "open_server_us_per_delivery": "us",
    "latency_p50_ms": "ms",
    "latency_p99_ms": "ms",
    "latency_p999_ms": "ms",
    "missing": "count",
    "duplicated": "count",
}


def ratio_rows(
    results: Results,
    runs: dict[str, list[dict[str, float]]],
    pairs: list[tuple[str, str]],
    targets: list[Target],
) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """Per (rtspike transport, other target): median and spread of the per-round ratios."""
    by = {t.name: t for t in targets}
    table: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for ours, other in pairs:
        peer = by[other].peer
        stock = peer is not None and peer.baseline.stock and peer.receiver == ours
        note = STOCK_NOTE if stock else ""
        row: dict[str, tuple[float, float]] = {}
        for metric, source in RATIOS.items():
            per_round = [
                a[source] / b[source]
                for a, b in zip(runs[ours], runs[other], strict=True)
                if b[source] and b[source] == b[source] and a[source] == a[source]
            ]
            if not per_round:
                continue
            valid = [
                bool(a["valid"] and b["valid"])
                for a, b in zip(runs[ours], runs[other], strict=True)
            ][: len(per_round)]
            summary = results.add_repeats(
                NAME, ours, metric, per_round, "ratio", f"vs {other}", valid, note
            )
            row[metric] = (summary.value, summary.spread or 0.0)
        table[(ours, other)] = row
    return table


def add_figures(results: Results, target: Target, rounds: list[dict[str, float]]) -> None:
    case = RTSPIKE if target.peer is None else target.name
    valid = [bool(r["valid"]) for r in rounds]
    for metric, unit in UNITS.items():
        results.add_repeats(
            NAME,
            target.receiver,
            metric,
            [r[metric] for r in rounds],
            unit,
            case,
            valid,
            note=target.label,
        )


def pairs_for(ts: list[Target]) -> list[tuple[str, str]]:
    """rtspike transport vs every baseline, plus each transport vs the one the registry holds
    its tail to (``registry.tail_reference``) when both are measured."""
    own = [t.name for t in ts if t.peer is None]
    out = [(o, t.name) for o in own for t in ts if t.peer is not None]
    for o in own:
        ref = registry.tail_reference(o)
        if ref in own:
            out.append((o, ref))
    return out


async def run(
    transports: list[str],
    baseline_names: list[str] | None,
    shape: Shape,
    out_root: Path | None = None,
    progress: Callable[[int, Target], None] | None = None,
) -> tuple[Path, dict[tuple[str, str], dict[str, tuple[float, float]]], list[Target]]:
    quiet_libraries()
    baselines = peers.available(baseline_names)
    ts = targets(transports, baselines)
    run_id = new_run_id()
    folder = (out_root or default_root()) / run_id
    started = datetime.now(UTC)
    orch = Orchestrator(
        Path(tempfile.mkdtemp(prefix="rtspike-peers-")), {"RTSPIKE_ACCESS_TTL_S": "7200"}
    )
    runs: dict[str, list[dict[str, float]]] = {t.name: [] for t in ts}
    load: list[float] = []
    try:
        for r in range(shape.repeats):
            order = ts[r % len(ts) :] + ts[: r % len(ts)]
            for t in order:
                if progress is not None:
                    progress(r, t)
                t0 = time.monotonic()
                runs[t.name].append(figures(await _measure_retrying(orch, t, shape, r)))
                load.append(time.monotonic() - t0)
    finally:
        await orch.stop_all()
    results = Results()
    for t in ts:
        add_figures(results, t, runs[t.name])
    table = ratio_rows(results, runs, pairs_for(ts), ts)
    clients = {t.receiver: {"receivers": lean.client_kind(t.receiver)} for t in ts}
    notes = [
        f"baselines: {', '.join(t.label for t in ts if t.peer)}",
        f"shape: {shape}",
        "node baselines skipped: node or transports/web/node_modules missing"
        if not peers.node_ready()
        else "node baselines from transports/web/package-lock.json",
    ]
    data = manifest.build(
        run_id,
        NAME,
        shape.__dict__,
        settings_env(orch),
        [t.name for t in ts if t.peer is None],
        [NAME],
        clients,
        started,
        None,
        notes,
    )
    results.write(folder, data)
    return folder, table, ts


def main(
    transports: list[str],
    baseline_names: list[str] | None,
    shape: Shape,
    out_root: Path | None = None,
) -> int:
    """Run, print the ratio table, write it beside the results; 1 if anything went missing."""
    from rtspike.console import console
    from rtspike.scenarios.benches.peers_table import print_table

    def progress(round_no: int, target: Target) -> None:
        console.print(f"round {round_no + 1}/{shape.repeats}: {target.label}", markup=False)

    folder, table, ts = asyncio.run(run(transports, baseline_names, shape, out_root, progress))
    return print_table(folder, table, ts)

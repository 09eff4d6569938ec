"""`rtspike bench`: every scenario against every transport, into reports/out/<run-id>/; its
subcommands (`bench core`, `bench fanout`, ...) are the focused benches, each with its own flags."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import time
from pathlib import Path

from rtspike import preflight
from rtspike.commands.options import add_names_option, add_transport_option, unique
from rtspike.console import console, errors
from rtspike.scenarios.catalog import SCENARIOS
from rtspike.scenarios.profiles import PROFILES
from rtspike.transports.core.logging import configure_logging

# Each bench is one module with ``register(subparsers)``; adding one is a module and a line.
BENCHES = [
    "rtspike.commands.bench_core",
    "rtspike.commands.bench_fanout",
    "rtspike.commands.bench_peers",
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench",
        help="run the measurements (default: every scenario x every transport)",
        description="Without a BENCH: every scenario against every transport, then the report.",
    )
    p.add_argument(
        "--profile",
        default="quick",
        choices=list(PROFILES),
        help="quick (default), decision (quick + browser scenarios x5), full, tiny (smoke)",
    )
    add_transport_option(p, "transports to measure")
    add_names_option(p, "--scenarios", SCENARIOS, SCENARIOS, "scenarios to run (default: all)")
    p.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="also run multinode and the Redis-restart case",
    )
    p.add_argument("--out", type=Path, default=None, help="results root (default ./reports/out)")
    p.set_defaults(handler=run)
    benches = p.add_subparsers(dest="bench", metavar="BENCH", required=False)
    for name in BENCHES:
        importlib.import_module(name).register(benches)


def run(args: argparse.Namespace) -> int:
    preflight_bench(args)
    return asyncio.run(_transports(args))


def preflight_bench(args: argparse.Namespace) -> None:
    """Refuse what cannot work before any server starts; warn about what will be missing."""
    if args.redis:
        preflight.check_redis(args.redis, "--redis")
    needed = {t for s in args.scenarios for t in preflight.TOOLS_OF_SCENARIO.get(s, ())}
    if args.redis:
        needed.add("redis-server")
    for line in preflight.missing_tools(sorted(needed)):
        errors.print(f"warning: {line} Its figures will read 'not measured'.", markup=False)


async def _transports(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from rtspike.scenarios.processes import cancel_on_sigterm
    from rtspike.scenarios.runner import BenchInterrupted, module, run_bench

    configure_logging("WARNING")
    transports: list[str] = unique(args.transport)
    scenarios: list[str] = [
        s
        for s in dict.fromkeys(args.scenarios)
        if args.redis or not getattr(module(s), "NEEDS_REDIS", False)
    ]
    failed: list[str] = []
    t0 = time.monotonic()
    with Progress(
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[now]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {
            s: bar.add_task(s, total=len(transports), now="") for s in scenarios
        }

        def progress(event: str, scenario: str, transport: str) -> None:
            task = tasks[scenario]
            if event == "start":
                bar.update(task, now=f"[cyan]{transport}")
                return
            if event == "failed":
                failed.append(f"{scenario}/{transport}")
            bar.update(task, advance=1, now="[red]failed" if failed and event == "failed" else "")

        def status(message: str) -> None:
            for task in bar.tasks:
                if task.fields.get("now") and not task.finished:
                    bar.update(task.id, now=f"[cyan]{message}")

        try:
            folder = await cancel_on_sigterm(
                run_bench(
                    args.profile, transports, scenarios, args.redis, args.out, progress, status
                )
            )
        except BenchInterrupted as stop:
            bar.stop()
            errors.print(str(stop), markup=False, highlight=False)
            return 130
    console.print(
        f"results: {folder}  ({time.monotonic() - t0:.0f} s, profile {args.profile})", markup=False
    )
    if failed:
        errors.print(
            f"failed: {', '.join(failed)} (see metric 'error' in metrics.csv)", markup=False
        )
    try:
        from rtspike.reports.render import render_report
        from rtspike.reports.summary import read_verdict
        from rtspike.scenarios.handoff import write_snapshot
    except ImportError:
        errors.print(
            "report: not rendered, the report libraries are missing; "
            "pip install 'rtspike[report]' and run `rtspike report`",
            markup=False,
        )
        return 1 if failed else 0
    write_snapshot(folder)
    report = render_report(folder)
    console.print(f"report: {report}", markup=False)
    verdict = read_verdict(report.parent)
    if verdict:
        console.print(verdict, markup=False, highlight=False)
    return 1 if failed else 0

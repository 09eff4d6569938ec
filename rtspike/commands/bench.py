"""`rtspike bench`: every scenario against every transport, into reports/out/<run-id>/.
`rtspike bench core` measures the shared core alone."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from rtspike.console import console, errors
from rtspike.scenarios.profiles import PROFILES
from rtspike.transports import registry
from rtspike.transports.core.logging import configure_logging


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from rtspike.scenarios.runner import SCENARIOS

    p = sub.add_parser("bench", help="run the measurements (`bench core`: the core alone)")
    p.add_argument(
        "what",
        nargs="?",
        default="transports",
        choices=["transports", "core", "fanout"],
        help="transports (default): every scenario; core: auth and log alone; "
        "fanout: deliveries/s from one server process to one large team",
    )
    p.add_argument("--connections", type=int, default=1000, help="fanout: team size")
    p.add_argument("--messages", type=int, default=200, help="fanout: broadcasts in the burst")
    p.add_argument(
        "--profile",
        default="quick",
        choices=list(PROFILES),
        help="quick (default, ~5 min), full (~30 min), tiny (smoke)",
    )
    p.add_argument(
        "--transports",
        nargs="+",
        default=registry.names(),
        choices=registry.names(),
        metavar="NAME",
    )
    p.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS, metavar="NAME")
    p.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="also run multinode and the Redis-restart case (core: Redis backends)",
    )
    p.add_argument("--out", type=Path, default=None, help="results root (default ./reports/out)")
    p.add_argument("--seconds", type=float, default=3.0, help="core: seconds per measurement")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.what == "core":
        from rtspike.scenarios.benches.core import main

        return main(args.seconds, args.redis)
    if args.what == "fanout":
        from rtspike.scenarios.benches.fanout import main as fanout_main

        return fanout_main(list(dict.fromkeys(args.transports)), args.connections, args.messages)
    return asyncio.run(_transports(args))


async def _transports(args: argparse.Namespace) -> int:
    from rtspike.scenarios.runner import module, run_bench

    configure_logging("WARNING")
    transports: list[str] = list(dict.fromkeys(args.transports))
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

        folder = await run_bench(
            args.profile, transports, scenarios, args.redis, args.out, progress, status
        )
    console.print(
        f"results: {folder}  ({time.monotonic() - t0:.0f} s, profile {args.profile})", markup=False
    )
    if failed:
        errors.print(
            f"failed: {', '.join(failed)} (see metric 'error' in metrics.csv)", markup=False
        )
    try:
        from rtspike.reports.render import render_report
    except ImportError:
        return 1 if failed else 0
    report = render_report(folder)
    console.print(f"report: {report}", markup=False)
    return 1 if failed else 0

"""`rtspike bench peers`: rtspike next to the bare libraries, as same-run ratios."""

from __future__ import annotations

import argparse
from pathlib import Path

from rtspike.commands.options import add_names_option, add_transport_option, unique


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from rtspike.scenarios.peers import declared

    names = [p.baseline.name for p in declared()]
    p = sub.add_parser(
        "peers",
        help="rtspike vs the bare libraries (CPU per delivery, deliveries/s, p99), as ratios",
        description="Each rtspike transport and each bare-library baseline, interleaved over "
        "--repeats rounds: a burst to one room and an open loop over --rooms rooms. Node "
        "baselines run when node and transports/web/node_modules are present.",
    )
    add_transport_option(p, "rtspike transports to measure")
    add_names_option(
        p, "--baselines", names, None, "baselines to run (default: every one this machine can)"
    )
    p.add_argument("--connections", type=int, default=1000, help="receivers (default 1000)")
    p.add_argument("--messages", type=int, default=100, help="broadcasts in the burst (100)")
    p.add_argument("--rooms", type=int, default=10, help="open loop: rooms (default 10)")
    p.add_argument("--rate", type=float, default=50.0, help="open loop: broadcasts/s (50)")
    p.add_argument("--seconds", type=float, default=6.0, help="open loop: measured seconds (6)")
    p.add_argument("--warmup", type=float, default=2.0, help="open loop: discarded seconds")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--out", type=Path, default=None, help="results root (default ./reports/out)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rtspike.scenarios.benches.peers import Shape, main
    from rtspike.transports.core.logging import configure_logging

    configure_logging("WARNING")
    shape = Shape(
        connections=args.connections,
        messages=args.messages,
        rooms=args.rooms,
        rate_per_s=args.rate,
        warmup_s=args.warmup,
        window_s=args.seconds,
        repeats=args.repeats,
    )
    return main(unique(args.transport), args.baselines, shape, args.out)

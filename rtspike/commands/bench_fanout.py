"""`rtspike bench fanout`: deliveries/s from one server process to one large team, or
(``--workers N``) N worker processes on Redis against one."""

from __future__ import annotations

import argparse

from rtspike.commands.options import add_transport_option, unique


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fanout", help="deliveries/s from one server process to one large team")
    p.add_argument("--connections", type=int, default=1000, help="team size (default 1000)")
    p.add_argument("--messages", type=int, default=200, help="broadcasts (default 200)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="N > 1: `serve --workers N` against one worker, both on a Redis of our own",
    )
    p.add_argument("--repeats", type=int, default=3, help="--workers: alternating rounds (3)")
    add_transport_option(p, "transports to measure")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.workers > 1:
        from rtspike.scenarios.benches.fanout_workers import main as workers_main

        return workers_main(
            unique(args.transport), args.connections, args.messages, args.workers, args.repeats
        )
    from rtspike.scenarios.benches.fanout import main

    return main(unique(args.transport), args.connections, args.messages)

"""`rtspike bench`: measure. `rtspike bench core` measures the shared core alone."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help="run the measurements (`bench core`: the core alone)")
    p.add_argument("what", nargs="?", default="transports", choices=["transports", "core"])
    p.add_argument("--redis", default=None, metavar="URL", help="also measure Redis backends")
    p.add_argument("--seconds", type=float, default=3.0, help="core: seconds per measurement")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.what == "core":
        from scenarios.core_bench import main

        return main(args.seconds, args.redis)
    raise SystemExit("rtspike bench: the transport scenarios are not built yet")

"""`rtspike bench core`: the shared core alone (auth verifications, log appends, catch-up)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("core", help="the core alone: auth verifications, log appends, catch-up")
    p.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    p.add_argument("--redis", default=None, metavar="URL", help="also measure the Redis backends")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rtspike.scenarios.benches.core import main

    return main(args.seconds, args.redis)

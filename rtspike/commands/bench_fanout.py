"""`rtspike bench fanout`: deliveries/s from one server process to one large team."""

from __future__ import annotations

import argparse

from rtspike.commands.options import add_transport_option, unique


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fanout", help="deliveries/s from one server process to one large team")
    p.add_argument("--connections", type=int, default=1000, help="team size (default 1000)")
    p.add_argument("--messages", type=int, default=200, help="broadcasts (default 200)")
    add_transport_option(p, "transports to measure")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rtspike.scenarios.benches.fanout import main

    return main(unique(args.transport), args.connections, args.messages)

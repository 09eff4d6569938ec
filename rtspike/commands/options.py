"""Flags that several commands share, spelled one way everywhere."""

from __future__ import annotations

import argparse

from rtspike.transports import registry


def add_names_option(
    p: argparse.ArgumentParser,
    flag: str,
    names: list[str],
    default: list[str] | None,
    help_text: str,
) -> None:
    """``flag NAME [NAME ...]``, each one of ``names`` (shown as ``{a,b,c}``): one spelling for
    the transports, scenarios and baselines a command can be limited to."""
    p.add_argument(
        flag,
        nargs="+",
        default=default,
        choices=names,
        metavar="{" + ",".join(names) + "}",
        help=help_text,
    )


def add_transport_option(p: argparse.ArgumentParser, help_text: str) -> None:
    """``--transport NAME [NAME ...]`` with the registry's names shown as choices; the old
    spelling ``--transports`` still parses but is not advertised."""
    names = registry.names()
    add_names_option(p, "--transport", names, names, f"{help_text} (default: all)")
    p.add_argument(
        "--transports",
        nargs="+",
        dest="transport",
        choices=names,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )


def unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def port_number(text: str) -> int:
    """argparse type: a TCP port, so that ``--port 99999`` is refused as the flag's fault."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; use 1-65535") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number; use 1-65535")
    return port

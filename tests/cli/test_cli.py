"""The command line's shape: subcommands with their own flags, one spelling, choices in help."""

from __future__ import annotations

import pytest

from rtspike import __version__
from rtspike.cli import build_parser
from rtspike.transports import registry


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"rtspike {__version__}"


def test_bench_subcommands_have_their_own_flags():
    parser = build_parser()
    fanout = parser.parse_args(["bench", "fanout", "--transport", "ws", "--connections", "10"])
    assert (fanout.bench, fanout.transport, fanout.connections) == ("fanout", ["ws"], 10)
    core = parser.parse_args(["bench", "core", "--seconds", "1"])
    assert (core.bench, core.seconds) == ("core", 1.0)
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "core", "--connections", "10"])  # a fanout flag


def test_bench_default_runs_every_transport_and_accepts_the_old_spelling():
    parser = build_parser()
    assert parser.parse_args(["bench"]).transport == registry.names()
    assert parser.parse_args(["bench", "--transports", "sse"]).transport == ["sse"]
    assert parser.parse_args(["bench", "--transport", "sse", "ws"]).transport == ["sse", "ws"]


def test_help_shows_the_transport_choices(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--help"])
    out = capsys.readouterr().out
    assert "{" + ",".join(registry.names()) + "}" in out
    assert "--transports" not in out
    for bench in ("core", "fanout"):
        assert bench in out

"""`rtspike bench peers` in miniature: every target (rtspike's transports and every baseline
this machine can run) delivers everything in both phases, and the ratio table is written."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest

from rtspike.cli import main
from rtspike.scenarios import peers
from rtspike.transports import registry


@pytest.mark.timeout(600)
def test_every_baseline_and_transport_delivers_everything(tmp_path: Path) -> None:
    argv = ["bench", "peers", "--out", str(tmp_path), "--connections", "12", "--messages", "4"]
    argv += ["--rooms", "2", "--rate", "10", "--seconds", "1", "--warmup", "0.3"]
    assert main([*argv, "--repeats", "1"]) == 0
    (folder,) = tmp_path.iterdir()
    assert "CPU/deliv" in (folder / "peers.txt").read_text()
    with (folder / "metrics.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["scenario"] == "peers" and r["repeat"] == "-1"]
    missing = {
        (r["transport"], r["case"]): float(r["value"]) for r in rows if r["metric"] == "missing"
    }
    expected = {(t, "rtspike") for t in registry.names()}
    expected |= {(p.receiver, p.baseline.name) for p in peers.available()}
    assert set(missing) == expected
    assert all(v == 0 for v in missing.values()), missing
    ratios = {(r["transport"], r["case"]) for r in rows if r["metric"] == "throughput_ratio"}
    assert {("ws", f"vs {p.baseline.name}") for p in peers.available()} <= ratios
    tails = {(t, f"vs {ref}") for t, ref in registry.TAIL_REFERENCES.items()}
    assert tails and tails <= ratios


def test_node_baselines_need_node_and_the_lockfile_install() -> None:
    names = {p.baseline.name for p in peers.available()}
    assert {p.baseline.name for p in peers.declared() if not p.baseline.node} <= names
    assert peers.node_ready() == ({"node-ws", "node-socketio"} <= names)


def test_the_generator_collector_is_paused_only_inside_the_open_loop() -> None:
    from rtspike.scenarios.peers.worker import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a failed phase")
    assert gc.isenabled(), "a failed open loop left the generator's collector off"

"""SIGTERM, Ctrl-C and SIGKILL to a running `rtspike bench`: every process it started ends, its
temporary folders go, and what it measured so far is written with ``complete: false``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def start_bench(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    bench = ["bench", "--profile", "tiny", "--transport", "ws", "--scenarios", "latency", "fanout"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtspike", *bench],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, temp


def wait_for_children(proc: subprocess.Popen[str], timeout: float = 180) -> list[psutil.Process]:
    """The positive barrier: a server and a load generator are running under the bench (a
    loaded box took over 60 s to boot both: the bound only matters when it fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(proc.pid).children(recursive=True)
        commands = [" ".join(c.cmdline()) for c in children if c.is_running()]
        if any("rtspike serve" in c for c in commands) and any("loadgen" in c for c in commands):
            return children
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("bench never started a server and a load generator")


def assert_all_gone(children: list[psutil.Process], timeout: float = 20) -> None:
    _, alive = psutil.wait_procs(children, timeout=timeout)
    assert alive == [], [" ".join(p.cmdline()) for p in alive]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_everything_and_keeps_partial_results(tmp_path: Path, sig: int) -> None:
    proc, temp = start_bench(tmp_path)
    try:
        children = wait_for_children(proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert_all_gone(children)
    assert list(temp.iterdir()) == [], "temporary folders left behind"
    [run] = (tmp_path / "reports" / "out").iterdir()
    assert f"interrupted; partial results in {run}" in err
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert (run / "metrics.csv").exists()


def test_sigkill_of_the_bench_takes_its_children_along(tmp_path: Path) -> None:
    """No handler runs on SIGKILL: the kernel (PR_SET_PDEATHSIG) ends the children."""
    proc, _ = start_bench(tmp_path)
    try:
        children = wait_for_children(proc)
        direct = [c for c in children if c.ppid() == proc.pid]
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert_all_gone(direct)

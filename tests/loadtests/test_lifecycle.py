"""SIGTERM to a headless `rtspike loadtest`: Locust and the server stop, nothing temporary is
left, and the command says where the partial results are."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def test_sigterm_stops_locust_and_the_server(tmp_path: Path) -> None:
    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    args = ["--transport", "ws", "--headless", "--users", "2", "--run-time", "5m", "--out", out]
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtspike", "loadtest", *map(str, args)],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # the barrier: the server and Locust both run under us
            children = psutil.Process(proc.pid).children(recursive=True)
            commands = " | ".join(" ".join(c.cmdline()) for c in children if c.is_running())
            if "rtspike serve" in commands and "locust" in commands:
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert f"interrupted; partial results in {out}" in err and "Traceback" not in err
    _, alive = psutil.wait_procs(children, timeout=20)
    assert alive == []
    assert list(temp.iterdir()) == []

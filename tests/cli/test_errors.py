"""Failures a new user meets, each as one line that says what to do (no traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rtspike.scenarios.processes import free_port
from rtspike.weights_check import problems

ROOT = Path(__file__).resolve().parents[2]


def rtspike(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtspike", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        line = one_line(
            rtspike("serve", "--port", str(port), env={"RTSPIKE_DATA_DIR": str(tmp_path)})
        )
    assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line


def test_port_out_of_range_is_the_flags_fault() -> None:
    line = rtspike("serve", "--port", "99999").stderr.splitlines()[-1]
    assert "--port: 99999 is not a port number; use 1-65535" in line
    assert "RTSPIKE_PORT" not in line


def test_dead_redis_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    line = one_line(rtspike("loadtest", "--headless", "--redis", dead, "--out", str(tmp_path)))
    assert "no Redis answers at redis://127.0.0.1:" in line and "--redis" in line
    assert not (tmp_path / "loadtest").exists()
    line = one_line(rtspike("bench", "--redis", dead, "--out", str(tmp_path / "runs")))
    assert "no Redis answers" in line
    assert not (tmp_path / "runs").exists(), "nothing is measured or written"
    line = one_line(
        rtspike("serve", env={"RTSPIKE_STORE_URL": dead, "RTSPIKE_JWT_SECRET": "x" * 64})
    )
    assert "no Redis answers" in line


def test_a_misspelt_metric_names_the_near_match() -> None:
    rule = {"scenario": "latency", "metric": "latency_p95_ms", "criterion": "latency_throughput"}
    data = {"criteria": {"latency_throughput": {"weight": 1.0}}, "rubric": [rule]}
    [problem] = problems(data)
    assert "unknown metric 'latency_p95_ms'" in problem and "did you mean 'latency_p" in problem


def test_all_zero_weights_get_their_own_message(tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[criteria.a]\nweight = 0\n[criteria.b]\nweight = 0.0\n")
    line = one_line(rtspike("report", "--weights", str(weights)))
    assert "every criterion weight is 0; give at least one criterion a positive weight" in line
    assert str(tmp_path) not in line  # the file's name, never its path


@pytest.mark.parametrize("flag", ["--debug"])
def test_debug_shows_the_traceback(flag: str, tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[criteria.a]\nweight = 0\n")
    assert "Traceback" in rtspike(flag, "report", "--weights", str(weights)).stderr


def test_a_missing_tool_is_one_line_naming_what_needs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rtspike import preflight

    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)
    [line] = preflight.missing_tools(["nginx"])
    assert line == (
        "nginx is not installed (the proxy scenario needs it): "
        "apt install nginx (scripts/ensure-nginx.sh)."
    )

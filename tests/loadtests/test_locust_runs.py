"""Each Locust user class headless against a real server subprocess, and the web UI over HTTP.

Locust (gevent) only ever runs in child processes: `rtspike loadtest` starts the server and
Locust; this asyncio-free test process reads what they wrote.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rtspike.scenarios.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
KINDS = {"ws": "WS", "sse": "SSE", "socketio": "SIO"}

pytestmark = pytest.mark.slow


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rtspike", "loadtest", *args]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def _headless(transport: str, out: Path) -> list[str]:
    return _cli(
        "--transport",
        transport,
        "--headless",
        "--users",
        "6",
        "--spawn-rate",
        "6",
        "--run-time",
        "6s",  # Locust counts it from its own start; 3 s is all boot on a busy box
        "--lgas",
        "2",
        "--send-rate",
        "2",
        "--reply-rate",
        "0.5",
        "--warmup",
        "0",  # count the connects too (the default discards the ramp)
        "--out",
        str(out),
    )


@pytest.fixture(scope="module")
def headless_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """One headless run per transport, all at once (each mostly waits out its run time):
    transport -> (exit code, output, results folder)."""
    procs = {}
    for transport in KINDS:
        out = tmp_path_factory.mktemp(f"locust-{transport}")
        log = (out / "output.txt").open("w")
        proc = subprocess.Popen(
            _headless(transport, out), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        procs[transport] = (proc, log, out)
    done = {}
    try:
        for transport, (proc, log, out) in procs.items():
            code = proc.wait(timeout=90)
            log.close()
            text = (out / "output.txt").read_text()[-6000:]
            done[transport] = (code, text, out / "loadtest" / transport)
    finally:
        for proc, log, _ in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    return done


@pytest.mark.parametrize("transport", list(KINDS))
def test_user_class_headless_receives_pushes_within_its_team(
    transport: str, headless_runs: dict[str, tuple[int, str, Path]]
):
    code, output, folder = headless_runs[transport]
    assert code == 0, output
    kind = KINDS[transport]
    # locust_hdr.json carries Locust's final counts (its _stats.csv may be a second stale)
    final = {
        (h["type"], h["name"]): h
        for h in json.loads((folder / "locust_hdr.json").read_text())["histograms"]
    }
    assert final[(kind, "connect")]["locust_requests"] == 6
    assert final[(kind, "ack")]["locust_requests"] > 0
    # the cross-team check runs on every push; a leak would be a "boundary" failure
    leaks = [k for k in final if k[1] in ("boundary", "gap", "duplicate", "disconnect")]
    assert leaks == []
    assert all(h["locust_failures"] == 0 for h in final.values()), final
    push = final[(kind, "push")]
    assert push["count"] == push["locust_requests"] > 0
    assert 0 < push["p50_us"] <= push["p99_us"] <= push["p99_9_us"] <= push["max_us"]
    assert {r["Name"] for r in _rows(folder / "locust_stats.csv")} >= {"Aggregated"}
    encoded = {(r["type"], r["name"]): r for r in _rows(folder / "locust_hdr.csv")}
    assert encoded[(kind, "push")]["encoded"]
    assert (folder / "locust.html").stat().st_size > 1000
    run = json.loads((folder / "run.json").read_text())
    assert run["transport"] == transport and run["locust_exit_code"] == 0


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read()


def test_web_ui_serves_page_stats_and_hdr_tab(tmp_path: Path):
    port = free_port()
    proc = subprocess.Popen(
        _cli("--transport", "all", "--users", "3", "--web-port", str(port)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        # Generous: the server, three specs and Locust's web UI boot in a loaded suite.
        deadline = time.monotonic() + 120
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "the Locust web UI never answered"
                time.sleep(0.3)
        assert status == 200 and b"rtspike-hdr" in page and b"WsUser" in page
        assert b"microseconds" in page and "(\u00b5s)".encode() not in page
        status, body = _get(f"http://127.0.0.1:{port}/stats/requests")
        stats = json.loads(body)
        assert status == 200 and stats["state"] == "ready" and "stats" in stats
        assert stats["extended_stats"][0]["key"] == "rtspike-hdr"
        status, body = _get(f"http://127.0.0.1:{port}/hdr/json")
        assert status == 200 and json.loads(body)["unit"] == "us"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Locust web UI at http://127.0.0.1:" in out
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/")
    assert list(tmp_path.iterdir()) == [], "temporary folders left behind"

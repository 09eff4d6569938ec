"""The wheel as a pip user gets it: built here, installed into a fresh venv from the lock's
pins (offline from the uv cache when it can), then run from an unrelated directory. Proves the
one-``rtspike``-namespace layout, the shipped browser bundles, the lean base install (serve
without pandas/matplotlib/locust) and that results land under the current directory."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from rtspike.reports.summary import read_verdict
from rtspike.scenarios.processes import free_port
from rtspike.transports import registry

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["pandas", "matplotlib", "locust", "gevent", "jinja2"]


def uv() -> str:
    found = shutil.which("uv") or (ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv is missing: `make venv` bootstraps it into .tools/")
    return str(found)


def run(*cmd: str | Path, cwd: Path = ROOT, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def install(python: Path, requirement: str, constraints: Path) -> None:
    base = [uv(), "pip", "install", "--quiet", "--python", python, "-c", constraints, requirement]
    try:
        run(*base[:3], "--offline", *base[3:])
    except AssertionError:  # something not in the cache yet
        run(*base)


def serve_answers(venv: Path, cwd: Path) -> None:
    port = free_port()
    env = {**os.environ, "RTSPIKE_DATA_DIR": str(cwd / "data")}
    proc = subprocess.Popen(
        [venv / "bin" / "rtspike", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/demo/static/ws.js"
                with urllib.request.urlopen(url, timeout=2) as resp:
                    assert resp.status == 200 and len(resp.read()) > 1000
                    return
            except OSError:
                assert proc.poll() is None, "serve exited"
                assert time.monotonic() < deadline, "serve never answered"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_wheel_serves_lean_and_benches_from_another_directory(tmp_path: Path) -> None:
    run(uv(), "build", "--wheel", "--out-dir", tmp_path / "dist", timeout=180)
    [wheel] = (tmp_path / "dist").glob("rtspike-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    with zipfile.ZipFile(wheel) as zf:
        leaking = [n for n in names if str(ROOT).encode() in zf.read(n)]
    assert leaking == [], "the wheel holds the build machine's paths"
    assert {t for t in tops if not t.endswith(".dist-info")} == {"rtspike"}, tops
    for name in registry.names():
        assert f"rtspike/transports/web/dist/{name}.js" in names, "bundles not shipped"
        # the bench's effort, bundle and hand-off read each adapter's own browser client
        client = registry.folder(name) / registry.spec(name).browser_client
        shipped = f"rtspike/transports/{client.relative_to(ROOT / 'transports')}"
        assert shipped in names, f"{shipped} not shipped"

    constraints = tmp_path / "constraints.txt"
    run(
        uv(),
        "export",
        "--quiet",
        "--frozen",
        "--no-hashes",
        "--extra",
        "bench",
        "--no-emit-project",
        "-o",
        constraints,
    )
    venv = tmp_path / "venv"
    run(uv(), "venv", "--quiet", venv, "--python", sys.executable)
    python = venv / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    install(python, str(wheel), constraints)
    probe = "import importlib.util as u, sys; print(*[m for m in sys.argv[1:] if u.find_spec(m)])"
    assert run(python, "-c", probe, *HEAVY).split() == [], "the base install pulls bench deps"
    serve_answers(venv, elsewhere)

    install(python, f"{wheel}[bench]", constraints)
    out = run(
        venv / "bin" / "rtspike",
        "bench",
        "--profile",
        "tiny",
        "--transport",
        "ws",
        "--scenarios",
        "effort",
        "bundle",
        "latency",
        cwd=elsewhere,
    )
    [folder] = (elsewhere / "reports" / "out").iterdir()
    assert (folder / "report.html").exists() and (folder / "manifest.json").exists()
    assert f"results: {folder}" in out
    verdict = read_verdict(folder)  # summary.json, written with the report
    assert verdict and verdict in out.splitlines()
    with (folder / "metrics.csv").open() as fh:
        bundle = {r["metric"]: r for r in csv.DictReader(fh) if r["scenario"] == "bundle"}
    assert bundle["min_bytes"]["valid"] == "True" and float(bundle["min_bytes"]["value"]) > 1000
    site = run(
        python, "-c", "import rtspike, pathlib; print(pathlib.Path(rtspike.__file__).parent)"
    )
    assert not (Path(site.strip()) / "reports" / "out").exists()

"""Adding a transport is its own package plus one registry line: a throwaway fourth transport
(``tests/fourth``: the ws adapter again as "wsx" at ``/realtime/wsx``) is registered through
the registry's ``RTSPIKE_EXTRA_TRANSPORTS`` hook and, with no other edit, the contract suite,
``rtspike serve``, ``rtspike loadtest --headless``, the web build and demo page, and the report
all pick it up; the completeness checks fail for a registered transport that lacks its parts.

Everything runs in child processes (the hook is an environment variable), on loopback only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rtspike.scenarios.processes import ServerProcess
from rtspike.transports.core.users import DEV_PASSWORD
from tests.fourth import NAME, PATH
from tests.fourth.client import Client

ROOT = Path(__file__).resolve().parents[1]
HOOK = {"RTSPIKE_EXTRA_TRANSPORTS": f"{NAME}=tests.fourth"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def run(
    args: list[str],
    extra: dict[str, str] | None = None,
    timeout: float = 300,
    program: str = sys.executable,
) -> str:
    """Run a child in the repository root with the fourth transport registered."""
    env = {**os.environ, **HOOK, **(extra or {})}
    done = subprocess.run(
        [program, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def pytest_in_child(*args: str, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return child("-m", "pytest", "-q", "-p", "no:cacheprovider", *args, extra=extra)


def child(*args: str, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A Python child in the repository root with the fourth transport registered."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **HOOK, **(extra or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def summary(proc: subprocess.Popen[str], timeout: float = 400) -> tuple[int, dict[str, int]]:
    out, _ = proc.communicate(timeout=timeout)
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error)", out)}
    return proc.returncode, counts


BROKEN = {"RTSPIKE_EXTRA_TRANSPORTS": "broken=tests.fourth.broken"}


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fourth-bench")


@pytest.fixture(scope="module")
def children(bench_out: Path) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The child runs of this module, all started at once (each mostly imports and waits on
    its servers); each test reads its own."""
    procs = {
        "bench": child(
            *("-m", "rtspike", "bench", "--profile", "tiny", "--transport", "ws", NAME),
            *("--scenarios", "handshake", "bidirectional", "effort", "--out", str(bench_out)),
        ),
        # the wire fuzzer is per protocol (tests/contract/test_fuzz.py): a newcomer needs its
        # own, and that test says so by failing; everything else in the suite runs unchanged
        "contract": pytest_in_child("tests/contract", "-k", f"{NAME} and not fuzz"),
        "facts": pytest_in_child("tests/reports/test_facts.py"),
        "registry": pytest_in_child("tests/test_registry.py", extra=BROKEN),
    }
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_the_contract_suite_runs_against_it(children: dict[str, subprocess.Popen[str]]) -> None:
    code, counts = summary(children["contract"])
    assert code == 0 and counts.get("failed", 0) == 0, counts
    assert counts.get("passed", 0) >= 20, counts


def test_rtspike_serve_mounts_it_and_the_demo_page_offers_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        server = ServerProcess(NAME, tmp_path / "server", env=HOOK, cwd=ROOT)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
                login = await http.post(
                    "/api/v1/auth/login", json={"login": "sup.lga-01", "password": DEV_PASSWORD}
                )
                token = login.json()["access_token"]
                page = (await http.get("/demo")).text
                slot = re.search(r'id="rtspike-transports"[^>]*>(.*?)</script>', page)
                assert slot is not None
                offered = [t["name"] for t in json.loads(slot.group(1))["transports"]]
                assert NAME in offered
                # only the transport asked for is mounted
                assert (await http.get("/realtime/ws")).status_code == 404
            client = Client(server.base_url)
            await client.connect(token)
            try:
                assert client.ready.get("type") == "ready"
                event = await client.send(
                    {"broadcast": True, "body": "via the fourth", "client_msg_id": "c-fourth"}
                )
                assert event.body == "via the fourth"
            finally:
                await client.close()
        finally:
            await server.stop()

    asyncio.run(scenario())


def test_rtspike_loadtest_headless_runs_its_locust_user(tmp_path: Path) -> None:
    run(
        [
            *("-m", "rtspike", "loadtest", "--transport", NAME, "--headless"),
            *("--users", "4", "--spawn-rate", "4", "--run-time", "3s", "--lgas", "2"),
            *("--send-rate", "2", "--warmup", "0", "--out", str(tmp_path)),
        ]
    )
    folder = tmp_path / "loadtest" / NAME
    meta = json.loads((folder / "run.json").read_text())
    assert meta["user_class"] == "WsxUser" and meta["locust_exit_code"] == 0
    final = {
        (h["type"], h["name"]): h
        for h in json.loads((folder / "locust_hdr.json").read_text())["histograms"]
    }
    assert final[("WSX", "connect")]["locust_requests"] == 4
    assert final[("WSX", "push")]["locust_requests"] > 0
    assert all(h["locust_failures"] == 0 for h in final.values()), final


def test_the_web_build_and_the_demo_page_pick_it_up(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        ["scripts/build-web.sh"],
        {"RTSPIKE_WEB_ENTRIES": str(tmp_path / "entries.json"), "RTSPIKE_WEB_DIST": str(dist)},
        program="bash",
    )
    meta = json.loads((dist / "meta.json").read_text())
    assert {NAME, f"react-{NAME}"} <= set(meta["bundles"])
    bundle = (dist / f"{NAME}.js").read_text()
    assert PATH in bundle
    # its native variants reach the probe page from its own folder (tests/fourth/probe.js)
    assert PATH in (dist / "probe.js").read_text()
    code, counts = summary(
        pytest_in_child(
            "tests/web/test_demo_page.py",
            "-k",
            f"test_live_then_degraded_then_live and {NAME}",
            extra={"RTSPIKE_WEB_DIST": str(dist)},
        )
    )
    assert code == 0 and counts.get("passed") == 1, counts


def test_the_completeness_checks_fail_for_a_transport_that_lacks_its_parts(
    children: dict[str, subprocess.Popen[str]],
) -> None:
    """Facts, hand-off entry, decision-record option and consequences: missing for the copy, so
    the facts tests fail; Locust user and browser entries: missing for ``broken``, so the
    registry tests fail."""
    code, counts = summary(children["facts"])
    assert code != 0 and counts.get("failed", 0) == 4, counts
    code, counts = summary(children["registry"])
    assert code != 0 and counts.get("failed", 0) == 2, counts


def test_the_report_scores_it_once_it_has_its_facts(
    tmp_path: Path, children: dict[str, subprocess.Popen[str]], bench_out: Path
) -> None:

    weights = tmp_path / "weights.toml"
    text = (ROOT / "reports" / "weights.toml").read_text()
    facts: list[dict[str, Any]] = tomllib.loads(text)["facts"]
    copies = [f for f in facts if f["transport"] == "ws"]
    # the copy's facts are the adapter's own, restated for its name (TOML accepts JSON strings)
    restated = [
        "\n[[facts]]\n"
        + "".join(f"{k} = {json.dumps(NAME if k == 'transport' else v)}\n" for k, v in f.items())
        for f in copies
    ]
    weights.write_text(text + "".join(restated))
    output, _ = children["bench"].communicate(timeout=400)
    assert children["bench"].returncode == 0, output[-3000:]
    (folder,) = [p for p in bench_out.iterdir() if p.is_dir()]
    run(["-m", "rtspike", "report", str(folder), "--weights", str(weights)])
    html = (folder / "report.html").read_text()
    assert f"({NAME})" in html or f">{NAME}<" in html
    verdict = json.loads((folder / "summary.json").read_text())
    assert set(verdict["totals"]) == {"ws", NAME}
    # its declared facts count exactly like the adapter it copies (no renormalised total)
    assert verdict["declared_totals"][NAME] == verdict["declared_totals"]["ws"] is not None

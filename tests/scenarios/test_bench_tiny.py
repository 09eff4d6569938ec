"""Every scenario in its tiny configuration against every transport, end to end: real server
processes, real load generator processes, results folder read back from disk."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from rtspike.scenarios.runner import SCENARIOS, run_bench
from rtspike.transports import registry
from tests.scenarios.invariants import problems, rows

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
BROWSER_AND_PROXY = ("native", "proxy")  # their own tests: test_native.py, test_proxy.py
EXPECTED = {
    "handshake": "connect_p95_ms",
    "bidirectional": "send_ack_p50_ms",
    "latency": "latency_p99_ms",
    "fanout": "deliveries_per_s",
    "connections": "rss_per_connection_kb",
    "isolation": "violations_refused",
    "reconnect": "time_to_recovered_s",
    "revocation": "revoke_to_close_p50_ms",
    "multinode": "cross_node_p50_ms",
    "bundle": "gzip_bytes",
    "effort": "server_loc",
}


@pytest.fixture(scope="module", params=registry.names())
def run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    redis_url = os.environ.get("RTSPIKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    out = tmp_path_factory.mktemp(f"bench-{request.param}")
    chosen = [s for s in SCENARIOS if s not in BROWSER_AND_PROXY]
    return request.param, asyncio.run(run_bench("tiny", [request.param], chosen, redis_url, out))


def test_schema_and_zero_loss_zero_leak(run: tuple[str, Path]) -> None:
    assert problems(run[1]) == []


def test_every_scenario_measured_its_headline(run: tuple[str, Path]) -> None:
    transport, run_folder = run
    metrics = rows(run_folder, "metrics.csv")
    for scenario, metric in EXPECTED.items():
        if scenario == "bundle" and not (Path("transports/web/dist") / f"{transport}.js").exists():
            continue
        got = [
            r
            for r in metrics
            if (r["scenario"], r["metric"]) == (scenario, metric)
            and r["repeat"] == "-1"
            and r["transport"] == transport
        ]
        assert got, f"{scenario}/{metric} missing"
        assert all(float(r["value"]) >= 0 for r in got)


def test_every_interruption_recovered_and_is_stamped_from_the_fault_clearing(
    run: tuple[str, Path],
) -> None:
    """The server_kill outage ends when the restarted server listens, so a client that came
    back is never recorded as "did not recover"; each interruption is one repeat."""
    transport, run_folder = run
    got = [
        r
        for r in rows(run_folder, "metrics.csv")
        if r["scenario"] == "reconnect" and r["metric"] == "recovery_after_fault_s"
    ]
    summary = {r["case"]: r for r in got if r["repeat"] == "-1"}
    assert {"server_kill", "token_expiry", "transport_blocked"} <= set(summary), transport
    for case, r in summary.items():
        assert r["bound"] == "" and r["note"] == "", (transport, case, r["note"])
        assert 0.0 <= float(r["value"]) < 20.0, (transport, case)
        assert len([x for x in got if x["case"] == case and x["repeat"] != "-1"]) == 2, case


def test_delivery_was_actually_checked(run: tuple[str, Path]) -> None:
    """Zero loss means nothing unless messages flowed: every delivery scenario delivered."""
    metrics = rows(run[1], "metrics.csv")
    delivered = {
        (r["scenario"], r["case"]): float(r["value"])
        for r in metrics
        if r["metric"] == "delivered" and r["repeat"] == "-1"
    }
    for scenario in ("latency", "fanout", "isolation", "reconnect", "multinode"):
        cases = {k: v for k, v in delivered.items() if k[0] == scenario}
        assert cases and all(v > 0 for v in cases.values()), scenario
    reconnect_cases = {c for s, c in delivered if s == "reconnect"}
    assert {"server_kill", "token_expiry", "transport_blocked", "redis_restart"} <= reconnect_cases


def test_manifest_names_clients_and_histograms_decode(run: tuple[str, Path]) -> None:
    from rtspike.scenarios.measure import decode

    transport, run_folder = run
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["profile"] == "tiny"
    assert manifest["clients"][transport]["receivers"]
    assert "aiohttp" in manifest["versions"]["python_packages"]
    assert "RTSPIKE_JWT_SECRET" not in json.dumps(manifest)
    hists = rows(run_folder, "histograms.csv")
    assert hists and all(decode(h["encoded"]).get_total_count() > 0 for h in hists)

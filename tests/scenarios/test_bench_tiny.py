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
from rtspike.transports.server.demo import DIST
from tests.scenarios.invariants import problems, rows

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
BROWSER_AND_PROXY = ("native", "proxy")  # their own tests: test_native.py, test_proxy.py
INF = float("inf")
# scenario: (headline metric, exclusive lower bound, exclusive upper bound)
EXPECTED = {
    "handshake": ("connect_p95_ms", 0.0, 10_000.0),
    "bidirectional": ("send_ack_p50_ms", 0.0, 10_000.0),
    "latency": ("latency_p99_ms", 0.0, 10_000.0),
    "fanout": ("deliveries_per_s", 0.0, INF),
    "connections": ("rss_per_connection_kb", 0.0, 100_000.0),
    "isolation": ("violations_refused", 0.0, INF),
    "reconnect": ("time_to_recovered_s", 0.0, 60.0),
    "revocation": ("revoke_to_close_p50_ms", 0.0, 10_000.0),
    "multinode": ("cross_node_p50_ms", 0.0, 10_000.0),
    "bundle": ("gzip_bytes", 100.0, 10_000_000.0),
    "effort": ("server_loc", 10.0, 100_000.0),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One run per transport, all at once: each is mostly waiting on its servers' restarts,
    its clients' backoff and its measurement windows (33 s for all three on a 2-core machine,
    against 45-80 s for each one alone)."""
    redis_url = os.environ.get("RTSPIKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    chosen = [s for s in SCENARIOS if s not in BROWSER_AND_PROXY]
    names = registry.names()

    async def all_at_once() -> list[Path]:
        return await asyncio.gather(
            *(
                run_bench("tiny", [t], chosen, redis_url, tmp_path_factory.mktemp(f"bench-{t}"))
                for t in names
            )
        )

    return dict(zip(names, asyncio.run(all_at_once()), strict=True))


@pytest.fixture(params=registry.names())
def run(request: pytest.FixtureRequest, runs: dict[str, Path]) -> tuple[str, Path]:
    return request.param, runs[request.param]


def test_schema_and_zero_loss_zero_leak(run: tuple[str, Path]) -> None:
    assert problems(run[1]) == []


def test_every_scenario_measured_its_headline(run: tuple[str, Path]) -> None:
    """Each headline is there, valid, and inside what the scenario can physically give: bounds
    are 10x the targets (DESIGN.md) or a count that must be positive, never just ``>= 0``."""
    transport, run_folder = run
    if not (DIST / f"{transport}.js").is_file():
        pytest.fail(f"no {transport}.js in {DIST}: run `make web` (scripts/build-web.sh) first")
    metrics = rows(run_folder, "metrics.csv")
    for scenario, (metric, low, high) in EXPECTED.items():
        got = [
            r
            for r in metrics
            if (r["scenario"], r["metric"]) == (scenario, metric)
            and r["repeat"] == "-1"
            and r["transport"] == transport
        ]
        assert got, f"{scenario}/{metric} missing"
        for r in got:
            value = float(r["value"])
            assert r["valid"].lower() == "true", (scenario, metric, r["case"], r["note"])
            assert low < value < high, (scenario, metric, r["case"], value)


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
    # the outage is its own figure, and the total is the outage plus the client's share
    each = {
        (r["metric"], r["repeat"]): float(r["value"])
        for r in rows(run_folder, "metrics.csv")
        if r["scenario"] == "reconnect" and r["case"] == "server_kill" and r["repeat"] != "-1"
    }
    for repeat in ("0", "1"):
        outage = each["outage_s", repeat]
        assert outage > 0, (transport, repeat)
        total = outage + each["recovery_after_fault_s", repeat]
        assert abs(each["time_to_recovered_s", repeat] - total) < 0.01, (transport, repeat)


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

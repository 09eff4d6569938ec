"""The proxy scenario in miniature for every transport at once: real servers, a real nginx
(default, documented, short idle timeout, two nodes on Redis round-robin and ip_hash, HTTP/2
with a throwaway certificate) and real Chromium. Asserts what holds whatever the figures: the
default config's outcome is recorded for every client (not assumed), the documented config
delivers everything, resilient.js loses nothing across idle cuts, and the per-origin counts add
up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rtspike.reports.loader import load_run
from rtspike.reports.rubric import load_rubric
from rtspike.reports.scoring import build_matrix
from rtspike.scenarios import nginx
from rtspike.scenarios.nativeclients import OURS, native_clients
from rtspike.transports import registry
from tests.conftest import require
from tests.scenarios.conftest import Folders
from tests.scenarios.invariants import problems, rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(480),
]  # one shared run, a loaded box


@pytest.fixture(scope="module")
def folders(browser_runs: Folders) -> dict[str, Path]:
    return {t: folder for (s, t), folder in browser_runs.items() if s == "proxy"}


def summaries(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (r["case"], r["metric"]): r
        for r in rows(folder, "metrics.csv")
        if r["scenario"] == "proxy" and r["repeat"] == "-1"
    }


@pytest.mark.parametrize("transport", registry.names())
def test_default_config_recorded_and_documented_config_delivers(
    folders: dict[str, Path], transport: str
) -> None:
    assert problems(folders[transport]) == []
    got = summaries(folders[transport])
    for v in native_clients(transport):
        assert got[f"{v.name}/default", "default_config_ok"]["value"] in ("0.0", "1.0")
        assert got[f"{v.name}/default", "connected"]["value"] in ("0.0", "1.0")
        for config in ("direct", "documented"):
            assert got[f"{v.name}/{config}", "connected"]["value"] == "1.0", (v.name, config)
            assert float(got[f"{v.name}/{config}", "lost"]["value"]) == 0, (v.name, config)
        assert (f"{v.name}/documented", "latency_added_ms") in got
    lines = float(got["documented", "config_lines"]["value"])
    assert lines == len(nginx.documented(transport)) > 0


@pytest.mark.parametrize("transport", registry.names())
def test_idle_timeout_cuts_and_resilient_js_loses_nothing(
    folders: dict[str, Path], transport: str
) -> None:
    got = summaries(folders[transport])
    assert float(got[f"{OURS}/idle_timeout", "cuts"]["value"]) >= 1  # the timeout bit
    assert float(got[f"{OURS}/idle_timeout", "lost"]["value"]) == 0
    assert float(got[f"{OURS}/idle_timeout", "duplicated"]["value"]) == 0


@pytest.mark.parametrize("transport", registry.names())
def test_sticky_rates_and_origin_counts(folders: dict[str, Path], transport: str) -> None:
    got = summaries(folders[transport])
    if shutil.which("redis-server"):
        for v in native_clients(transport):
            for balance in ("round_robin", "ip_hash"):
                rate = float(got[f"{v.name}/{balance}", "sticky_success_rate"]["value"])
                assert 0 <= rate <= 1
            assert (f"{v.name}/ip_hash", "handshake_failure_rate") in got
    for case in ("http1", "http2"):
        if got[case, "origin_connected"]["valid"] == "True":
            connected = float(got[case, "origin_connected"]["value"])
            assert connected + float(got[case, "origin_waiting"]["value"]) == 8


def test_socketio_polling_needs_sticky_sessions(folders: dict[str, Path]) -> None:
    require(None if shutil.which("redis-server") else "redis-server is missing: run `make redis`")
    got = summaries(folders["socketio"])
    assert float(got["default/round_robin", "sticky_success_rate"]["value"]) < 1.0


def test_infra_cell_shows_the_proxy_figures(folders: dict[str, Path]) -> None:
    matrix = build_matrix(load_run(folders["sse"]), load_rubric())
    measured = {e.metric for e in matrix.cells["infra_fit", "sse"].evidence if e.scenario}
    assert {"config_lines", "origin_connected"} <= measured

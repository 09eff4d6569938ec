"""The native scenario in miniature for every transport at once: real server processes, the
fault proxy, real Chromium with each library's own client and with resilient.js. Asserts what
holds whatever the figures: every variant and fault measured with every metric, resilient.js
loses and duplicates nothing, a blackholed connection is detected or reported as never
detected within the window, and clients whose API cannot reconnect are recorded as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtspike.reports.loader import load_run
from rtspike.reports.rubric import load_rubric
from rtspike.reports.scoring import build_matrix
from rtspike.scenarios.nativeclients import OURS, variants
from rtspike.transports import registry
from tests.scenarios.conftest import Folders
from tests.scenarios.invariants import problems, rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.timeout(480),
]  # one shared run, a loaded box
FAULTS = ("server_kill", "blackhole", "token_expiry")
METRICS = ("time_to_detect_s", "time_to_recovered_s", "lost", "duplicated", "delivered")


@pytest.fixture(scope="module")
def folders(browser_runs: Folders) -> dict[str, Path]:
    return {t: folder for (s, t), folder in browser_runs.items() if s == "native"}


def summaries(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {
        (r["case"], r["metric"]): r
        for r in rows(folder, "metrics.csv")
        if r["scenario"] == "native" and r["repeat"] == "-1"
    }


@pytest.mark.parametrize("transport", registry.names())
def test_every_variant_and_fault_measured(folders: dict[str, Path], transport: str) -> None:
    assert problems(folders[transport]) == []
    got = summaries(folders[transport])
    for variant in variants(transport):
        for fault in FAULTS:
            case = f"{variant}/{fault}"
            for metric in METRICS:
                assert (case, metric) in got, f"{case} {metric} missing"
            if variant != OURS:
                assert got[case, "recovered_without_app_code"]["value"] in ("0.0", "1.0")
        # the server's outage is its own figure (time_to_recovered_s counts from healthy)
        assert float(got[f"{variant}/server_kill", "outage_s"]["value"]) > 0
        assert (f"{variant}/blackhole", "outage_s") not in got
    # messages flowed (a native client whose token ran out before it connected may see none)
    for fault in FAULTS:
        assert float(got[f"{OURS}/{fault}", "delivered"]["value"]) > 0, f"{fault}: nothing flowed"


@pytest.mark.parametrize("transport", registry.names())
def test_resilient_js_loses_and_duplicates_nothing(
    folders: dict[str, Path], transport: str
) -> None:
    got = summaries(folders[transport])
    for fault in FAULTS:
        assert float(got[f"{OURS}/{fault}", "lost"]["value"]) == 0, fault
        assert float(got[f"{OURS}/{fault}", "duplicated"]["value"]) == 0, fault
        assert got[f"{OURS}/{fault}", "time_to_recovered_s"]["bound"] == "", fault  # recovered


@pytest.mark.parametrize("transport", registry.names())
def test_blackhole_detected_or_reported_never_detected(
    folders: dict[str, Path], transport: str
) -> None:
    for r in rows(folders[transport], "metrics.csv"):
        if r["case"].endswith("/blackhole") and r["metric"] == "time_to_detect_s":
            if r["bound"] == "":
                assert 0 <= float(r["value"]) <= 3.0  # the tiny blackhole lasts 3 s
            else:  # a lower bound: scored as a failure, and said so
                assert r["bound"] == "at_least" and float(r["value"]) == 3.0
                assert "never detected within 3 s" in r["note"]


def test_what_cannot_reconnect_is_recorded_as_such(folders: dict[str, Path]) -> None:
    """The WebSocket API has no reconnect, and a one-time ticket is spent by the first
    connect: after a server kill neither comes back on its own."""
    ws, sse = summaries(folders["ws"]), summaries(folders["sse"])
    assert ws["plain/server_kill", "recovered_without_app_code"]["value"] == "0.0"
    assert sse["ticket/server_kill", "recovered_without_app_code"]["value"] == "0.0"


def test_report_cells_show_native_figures_next_to_ours(folders: dict[str, Path]) -> None:
    got = summaries(folders["ws"])
    for fault in FAULTS:
        assert "best: " in got[f"native/{fault}", "time_to_recovered_s"]["note"]
    matrix = build_matrix(load_run(folders["ws"]), load_rubric())
    cell = matrix.cells["reconnect", "ws"]
    assert {e.scenario for e in cell.evidence if e.scenario} >= {"native"}
    assert any(e.case == "native/server_kill" for e in cell.evidence)

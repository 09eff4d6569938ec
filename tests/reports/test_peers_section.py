"""The bare-library section: same-protocol ratios, the stock-path reading, which path the
decision's figures came from; and "not run" when the folder has no peers rows."""

from __future__ import annotations

from pathlib import Path

from rtspike.reports.render import render_report
from rtspike.scenarios.results import Results
from tests.reports.conftest import build_results, manifest
from tests.reports.test_render import text_of


def _with_peers(folder: Path) -> Path:
    res: Results = build_results()
    res.add_repeats("peers", "socketio", "server_us_per_delivery", [10, 11, 12], "us", "rtspike")
    res.add_repeats(
        "peers",
        "socketio",
        "server_us_per_delivery",
        [40, 46, 50],
        "us",
        "python-socketio",
        note="stock python-socketio emit(to=room)",
    )
    res.add_repeats(
        "peers", "ws", "server_us_per_delivery", [9, 9, 9], "us", "node-ws", note="Node ws"
    )
    res.add_repeats(
        "peers",
        "socketio",
        "cpu_ratio",
        [0.25, 0.24, 0.26],
        "ratio",
        "vs python-socketio",
        note="stock library path",
    )
    res.add_repeats(
        "peers", "socketio", "p99_ratio", [0.5, 0.5, 0.5], "ratio", "vs python-socketio"
    )
    res.add_repeats("peers", "socketio", "cpu_ratio", [1.3, 1.2, 1.4], "ratio", "vs node-ws")
    res.add_repeats("peers", "socketio", "p99_ratio", [1.1, 1.0, 1.2], "ratio", "vs ws")
    return res.write(folder, manifest("run-peers"))


def test_section_reads_ratios_and_names_the_path(tmp_path: Path) -> None:
    text = text_of(render_report(_with_peers(tmp_path / "run")).read_text())
    section = text[text.index("rtspike next to the bare libraries") :]
    assert "production path" in section
    assert "stock python-socketio emit(to=room) (stock path)" in section
    assert "0.25" in section and "±0.01" in section
    assert "gets 4.00x rtspike's CPU per delivery and 2.00x its p99" in section
    assert "rtspike ws" in section, "Socket.IO vs rtspike ws (the tail target) is shown"
    assert "Node ws" not in section.split("Environment")[0], "cross-protocol rows stay out"


def test_section_says_not_run_without_peers_rows(tmp_path: Path) -> None:
    folder = build_results().write(tmp_path / "plain", manifest("plain"))
    text = text_of(render_report(folder).read_text())
    assert "Not run in this folder ( rtspike bench peers measures it)" in text

"""The report reads as a decision record: every ADR section, the existing Socket.IO proof of
concept as an option with its switching cost, R1-R5 with this run's figures, validation
criteria and triggers whose margins come from the measurements."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from rtspike.reports import handoff
from rtspike.reports.adr import check, columns, consequences, figures, load_spec, placeholder_option
from rtspike.reports.loader import load_run
from rtspike.reports.render import render_html
from rtspike.reports.rubric import load_rubric
from tests.reports.conftest import MakeRun
from tests.reports.test_render import text_of
from tests.reports.test_verdict import WS_AHEAD

ADR_SECTIONS = ["adr", "risks", "validation", "triggers"]
ADR_HEADINGS = [
    'id="adr-context"',
    'id="adr-drivers"',
    'id="adr-options"',
    'id="adr-decision"',
    'id="adr-consequences"',
]


def plain(html: str) -> str:
    return unescape(text_of(html))


def test_every_adr_section_is_present(rendered: dict[str, Path]) -> None:
    html = rendered["a"].read_text()
    for section in ADR_SECTIONS:
        assert f'<section id="{section}">' in html
    for heading in ADR_HEADINGS:
        assert heading in html
    text = plain(html)
    for needle in ("FR11", "FR12", "FR16", "200 staff", "Status: Proposed", "Date: 2026-02-17"):
        assert needle in text, needle


def test_options_include_keeping_the_poc_with_its_switching_cost(
    rendered: dict[str, Path], make_run: MakeRun
) -> None:
    text = plain(rendered["a"].read_text())
    assert "Keep the existing Socket.IO proof of concept as it is" in text
    assert "none: socket.io 4.8.3 stays, its 42 tests stay" in text
    assert "Too close to call between" in text  # the fixture is too close to call
    assert "keeping the PoC (option 1) is not a decision either" in text
    # socketio ruled out by a leak, ws ahead of sse: a decision, and the PoC is rejected
    leak = {("isolation", "leaks", "", "socketio"): [1, 1, 1, 1, 1]}
    decisive = load_run(make_run(repeats=leak, figures=WS_AHEAD))
    assert "Keeping the PoC (option 1) is rejected" in plain(render_html(decisive, load_rubric()))


def test_the_incumbent_winning_evolves_the_poc_and_names_the_options_left(
    make_run: MakeRun,
) -> None:
    leaks = {("isolation", "leaks", "", t): [1, 1, 1, 1, 1] for t in ("sse", "ws")}
    text = plain(render_html(load_run(make_run(repeats=leaks)), load_rubric()))
    decision = text[text.index("Decision Socket.IO") : text.index("Consequences:")]
    assert "Socket.IO, evolved from the PoC (option 2)." in decision
    assert "Keeping the PoC as it is (option 1) is rejected" in decision
    assert "Options 3 and 4 are not chosen" in decision
    assert "Switching cost" not in decision


def test_consequence_columns_follow_the_options_and_mark_an_unwritten_transport() -> None:
    spec = load_spec()
    options = [*spec["options"], placeholder_option("newcomer", None)]
    names = handoff.names(["socketio", "sse", "ws", "newcomer"], short=True)
    cols = columns(options, names)
    assert [c["heading"] for c in cols] == [
        "Socket.IO (options 1-2)",
        "SSE (option 3)",
        "raw WebSocket (option 4)",
        "newcomer (option 5)",
    ]
    rows = consequences(spec, {}, [c["transport"] for c in cols])
    assert all(len(r["cells"]) == 4 and r["cells"][-1] == "not written yet" for r in rows)
    assert rows[0]["cells"][2] == "nothing built in: write it"  # ws, reconnect


def test_the_servers_named_are_those_of_the_transports_in_the_run(make_run: MakeRun) -> None:
    text = plain(render_html(load_run(make_run(transports=["sse", "ws"])), load_rubric()))
    assert "Server-Sent Events vs raw WebSocket over one" in text
    assert "Servers measured are Python (aiohttp)." in text
    assert "would change on Node (Express with ws)." in text
    assert "python-socketio" not in text.split("Servers measured")[1].split(".")[0]


def test_consequences_name_what_the_team_builds_and_what_rtspike_wrote(
    rendered: dict[str, Path],
) -> None:
    html = rendered["a"].read_text()
    section = html[html.index('id="adr-consequences"') : html.index('<section id="risks">')]
    text = plain(section)
    for feature in (
        "Reconnect",
        "Heartbeats",
        "Rooms",
        "acknowledgements",
        "Re-auth on 4001",
        "Resume",
    ):
        assert feature in text, feature
    assert "transports/web/src/resilient.js (" in text and " lines)" in text


def test_risks_r1_to_r5_with_measured_figures(rendered: dict[str, Path]) -> None:
    html = rendered["a"].read_text()
    section = plain(
        html[html.index('<section id="risks">') : html.index('<section id="validation">')]
    )
    for rid in ("R1", "R2", "R3", "R4", "R5"):
        assert f"{rid}:" in section, rid
    # R2: revocation to close, worst, per transport (fixture: 120, 80, 60 ms)
    assert "revocation to close, worst (ms) 120 80 60" in section
    assert "gzip bytes added to the plain demo page 14,500 1,800 1,200" in section
    assert "Not measured here: it is a Node-side change" in section


def test_validation_and_triggers_tie_limits_to_measured_margins(rendered: dict[str, Path]) -> None:
    run = load_run(rendered["a_dir"])
    row = {
        "trigger": "t",
        "scenario": "handshake",
        "metric": "connect_p95_ms",
        "limit": 250,
        "unit": "ms",
    }
    found = check(run, row, "trigger")
    assert found.margins["ws"] == 25.0 and found.verdicts["ws"] == "meets"  # 250 / 10 ms
    text = plain(rendered["a"].read_text())
    assert "10 · 25\u00d7 inside" in text
    assert "more than 2,000 concurrent connections" not in text.lower()
    assert "Handshake p95 within the API budget" in text and "connect_p95_ms <= 250" in text
    worst = figures(run, "reconnect", "time_to_recovered_s")
    assert worst["ws"].value == 2.5 and worst["ws"].case == "sigkill"  # worst of two cases

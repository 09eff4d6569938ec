"""The verdict's promises, each on a synthetic results folder (tests/reports/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rtspike.reports.loader import load_run
from rtspike.reports.render import render_html
from rtspike.reports.rubric import load_rubric
from rtspike.reports.scoring import Kind, Layer
from rtspike.reports.verdict import Outcome, decide
from tests.reports.conftest import FIGURES, TRANSPORTS, MakeRun


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ws clearly ahead of sse once socketio is out: a faster recovery and a smaller client
WS_AHEAD = {
    ("reconnect", "recovery_after_fault_s", "sigkill"): (0.5, 8.0, 0.3),
    ("bundle", "gzip_added_bytes", ""): (14500, 30000, 1200),
}


def test_a_leak_makes_the_transport_not_eligible_and_another_is_recommended(
    make_run: MakeRun,
) -> None:
    leak = {("isolation", "leaks", "", "socketio"): [0, 0, 1, 0, 0]}
    run = load_run(make_run(repeats=leak, figures=WS_AHEAD))
    rubric = load_rubric()
    v = decide(run, rubric)
    assert v.not_eligible() == {"socketio": ["No leak across a team boundary"]}
    failed = v.gates.failed("socketio")[0]
    assert "leaks = 1 in isolation repeat 3" in failed.evidence
    # without the gate socketio would lead on points
    assert v.matrix.winner() == "socketio"
    assert v.outcome == Outcome.RECOMMEND and v.winner == "ws"
    assert v.layers[Layer.COMBINED].win["socketio"] == 0.0
    text = text_of(render_html(run, rubric))
    assert "socketio is not eligible : fails No leak across a team boundary" in text
    assert "Recommendation raw WebSocket (ws)" in text


def test_identical_measurements_are_too_close_to_call_on_the_measured_layer(
    make_run: MakeRun, tmp_path: Path
) -> None:
    same = {(s, m, c): (v[0], v[0], v[0]) for s, m, c, _, v in FIGURES}
    run = load_run(make_run(figures=same))
    v = decide(run, load_rubric())
    measured = v.layers[Layer.MEASURED]
    assert not measured.separated
    assert set(measured.leaders) == set(TRANSPORTS)
    # each transport's repeats are resampled on their own: equal chances, give or take the draw
    assert measured.win == pytest.approx(dict.fromkeys(TRANSPORTS, 1 / 3), abs=0.05)
    assert "On measurements alone: too close to call" in v.deciding
    # with no declared facts nothing else can separate them: the verdict itself is too close
    facts_free = tmp_path / "w.toml"
    text = load_rubric().path.read_text()
    cut = text[: text.index("# --- Declared facts")] + text[text.index("\n[verdict]") :]
    facts_free.write_text(cut)
    v2 = decide(run, load_rubric(facts_free))
    assert v2.outcome == Outcome.TOO_CLOSE and v2.winner is None
    assert set(v2.leaders) == set(TRANSPORTS)
    # no criterion pulls either way; only the noise of the repeats moves them
    assert v2.separators and not any("agreeing the weights" in x for x in v2.separators)
    html = text_of(render_html(run, load_rubric(facts_free)))
    assert "Too close to call: socketio and sse and ws" in html
    assert "Confidence" not in html


def test_the_interval_of_a_total_widens_when_repeats_disagree(make_run: MakeRun) -> None:
    key = ("bidirectional", "send_ack_p99_ms", "", "ws")
    tight = load_run(make_run("tight", repeats={key: [400, 410, 420, 430, 440]}))
    loose = load_run(make_run("loose", repeats={key: [150, 260, 420, 700, 1500]}))
    rubric = load_rubric()
    a = decide(tight, rubric).layers[Layer.MEASURED].intervals["ws"]
    b = decide(loose, rubric).layers[Layer.MEASURED].intervals["ws"]
    assert a is not None and b is not None
    assert b[1] - b[0] > (a[1] - a[0]) + 0.05
    # the point scores agree (median 420 ms -> 4 both times): only the interval tells them apart
    assert decide(tight, rubric).layers[Layer.MEASURED].totals["ws"] == pytest.approx(
        decide(loose, rubric).layers[Layer.MEASURED].totals["ws"]
    )


def moved_fact(path: Path, criterion: str, transport: str, score: int) -> str:
    text = path.read_text()
    pattern = rf'(criterion = "{criterion}"\ntransport = "{transport}"\nscore = )\d'
    moved, n = re.subn(pattern, rf"\g<1>{score}", text)
    assert n == 1
    return moved


def test_a_fact_moved_one_point_moves_declared_total_and_win_probability(
    results_dir: Path, tmp_path: Path
) -> None:
    rubric = load_rubric()
    run = load_run(results_dir)
    base = decide(run, rubric)
    custom = tmp_path / "w.toml"
    custom.write_text(moved_fact(rubric.path, "auth_complexity", "sse", 4))
    moved = decide(run, load_rubric(custom))
    w = rubric.weights
    with_facts = ("auth_complexity", "bidirectional", "reconnect", "infra_fit")
    declared_mass = sum(w[k] for k in with_facts)
    d0 = base.layers[Layer.DECLARED].totals["sse"]
    d1 = moved.layers[Layer.DECLARED].totals["sse"]
    assert d0 is not None and d1 is not None
    assert d1 - d0 == pytest.approx(w["auth_complexity"] / declared_mass)  # one point x its share
    c0 = base.layers[Layer.COMBINED].totals["sse"]
    c1 = moved.layers[Layer.COMBINED].totals["sse"]
    assert c0 is not None and c1 is not None
    # the auth cell holds only this fact: the combined total moves by the criterion's weight
    assert c1 - c0 == pytest.approx(w["auth_complexity"] / sum(w.values()))
    assert moved.layers[Layer.MEASURED].totals == base.layers[Layer.MEASURED].totals
    p0 = base.layers[Layer.COMBINED].win
    p1 = moved.layers[Layer.COMBINED].win
    assert p1["sse"] > p0["sse"] + 0.02 and p1["socketio"] < p0["socketio"]


CAPACITY_RULE = """
[[rubric]]
criterion = "infra_fit"
scenario = "fanout"
metric = "capacity_connections"
tag = "server"
thresholds = [2000, 800, 400, 200]

"""


def test_a_capped_capacity_is_shown_as_a_lower_bound_and_not_scored(
    make_run: MakeRun, tmp_path: Path
) -> None:
    cap = "profile's largest team: at least 300"
    bounds = {("fanout", "capacity_connections", "", t): ("at_least", cap) for t in TRANSPORTS}
    run = load_run(make_run(bounds=bounds))
    # the default rubric leaves capacity out (one sample, capped); a team scoring it gets this
    custom = tmp_path / "w.toml"
    text = load_rubric().path.read_text()
    cut = text.index("# --- Declared facts")
    custom.write_text(text[:cut] + CAPACITY_RULE + text[cut:])
    rubric = load_rubric(custom)
    v = decide(run, rubric)
    for t in TRANSPORTS:
        cell = v.matrix.cells["infra_fit", t]
        ev = next(e for e in cell.evidence if e.metric == "capacity_connections")
        assert ev.kind == Kind.NOT_SCORED and ev.score is None
        assert cell.partial
    # socketio: 30 us -> 4, RSS -> 5, fact 3: the cell is their mean, capacity left out
    assert v.matrix.cells["infra_fit", "socketio"].score == pytest.approx(4.0)
    text = text_of(render_html(run, rubric))
    assert "a lower bound, not scored" in text


def test_a_partial_cell_is_flagged_and_listed(make_run: MakeRun) -> None:
    run = load_run(make_run(drop=[("multinode", t) for t in TRANSPORTS]))
    v = decide(run, load_rubric())
    cells = {(c.criterion, c.transport) for c in v.matrix.partial_cells()}
    assert {("latency", t) for t in TRANSPORTS} <= cells
    html = render_html(run, load_rubric())
    assert "Partial cells" in html and 'class="pill medium">partial' in html
    assert "Latency within budget · ws (missing multinode.cross_node_p99_ms)" in text_of(html)


def test_a_case_that_never_recovered_scores_as_a_failure(make_run: MakeRun) -> None:
    never = {
        ("reconnect", "recovery_after_fault_s", "sigkill", "sse"): (
            "at_least",
            "did not recover within the 30 s timeout",
        )
    }
    key = ("reconnect", "recovery_after_fault_s", "sigkill", "ws")
    slow = {key: [20.0, 21.0, 22.0, 20.5, 21.5]}
    run = load_run(make_run(bounds=never, repeats=slow))
    m = decide(run, load_rubric()).matrix
    failed = next(e for e in m.cells["reconnect", "sse"].evidence if e.kind == Kind.MEASURED)
    slowest = next(e for e in m.cells["reconnect", "ws"].evidence if e.kind == Kind.MEASURED)
    assert failed.failed and failed.score == 1
    assert failed.statement == "[sigkill] did not recover within the 30 s timeout"
    assert slowest.score == 2  # slow (21 s) but back: better than never
    assert failed.score < slowest.score
    assert "failure ([sigkill] did not recover within the 30 s timeout)" in text_of(
        render_html(run, load_rubric())
    )


def test_a_one_transport_run_names_no_winner(make_run: MakeRun) -> None:
    run = load_run(make_run(transports=["ws"]))
    v = decide(run, load_rubric())
    assert v.outcome == Outcome.NO_WINNER and v.winner is None
    assert "only 1 transport(s) hold valid measured figures (ws)" in v.reasons[0]
    text = text_of(render_html(run, load_rubric()))
    assert "No winner" in text and "Recommendation" not in text


def test_an_errored_scenario_names_no_winner_and_says_why(make_run: MakeRun) -> None:
    errors = [("multinode", "ws", "ConnectionError: Redis at 127.0.0.1:6390 refused")]
    run = load_run(make_run(errors=errors))
    v = decide(run, load_rubric())
    assert v.outcome == Outcome.NO_WINNER
    assert "scenario multinode errored for ws (ConnectionError" in v.reasons[0]


def test_why_compares_the_winner_with_the_runner_up(make_run: MakeRun) -> None:
    leak = {("isolation", "leaks", "", "socketio"): [1, 1, 1, 1, 1]}
    run = load_run(make_run(repeats=leak, figures=WS_AHEAD))
    text = text_of(render_html(run, load_rubric()))
    assert "Why ws over sse" in text
    assert "Leads on Bundle size impact (5.00 vs sse 2.00)" in text


def test_gates_never_enter_a_mean_and_none_eligible_means_no_winner(
    make_run: MakeRun, results_dir: Path
) -> None:
    rubric = load_rubric()
    clean = decide(load_run(results_dir), rubric)
    leaks = {("isolation", "leaks", "", t): [0, 0, 0, 0, 2] for t in TRANSPORTS}
    run = load_run(make_run("leaky", repeats=leaks))
    v = decide(run, rubric)
    for layer in Layer:
        assert v.layers[layer].totals == clean.layers[layer].totals  # the leak is not a score
    assert v.eligible == [] and v.outcome == Outcome.NO_WINNER
    assert "no transport passes every gate" in v.reasons
    assert "No transport is eligible" in text_of(render_html(run, rubric))

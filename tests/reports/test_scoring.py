"""Scoring from the hand-made folder: expected 1-5 scores, totals, winner, weight flips."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rtspike.reports.loader import ResultsError, load_run, newest_run
from rtspike.reports.scoring import build_matrix, load_rubric, score_value, weighted_total
from rtspike.reports.sensitivity import analyse
from tests.reports.conftest import EXPECTED_TOTALS, MakeRun


def test_thresholds_map_values_to_scores() -> None:
    t = (25.0, 50.0, 100.0, 250.0)
    assert [score_value(v, "lower", t) for v in (10, 25, 26, 100, 250, 251)] == [5, 5, 4, 3, 2, 1]
    h = (2000.0, 1000.0, 500.0, 200.0)
    assert [score_value(v, "higher", h) for v in (5000, 1000, 999, 200, 199)] == [5, 4, 3, 2, 1]
    assert score_value(1, "lower", (0, 0, 0, 0)) == 1


def test_weighted_total_renormalises_over_scored_criteria() -> None:
    assert weighted_total({"a": 4.0, "b": None}, {"a": 0.25, "b": 0.75}) == 4.0
    assert weighted_total({"a": 4.0, "b": 2.0}, {"a": 0.25, "b": 0.75}) == 2.5
    assert weighted_total({"a": None}, {"a": 1.0}) is None


def test_expected_scores_totals_and_winner(results_dir: Path) -> None:
    matrix = build_matrix(load_run(results_dir), load_rubric())
    scores = matrix.scores()
    # handshake p95 30 ms -> 4, revoke max 120 ms -> 4, 0 leaks -> 5, declared fact 5
    assert scores["socketio"]["auth_complexity"] == pytest.approx(4.5)
    # worst case across sigkill/token_expiry is 2.5 s -> 3; lost/dup 0 -> 5, 5; fact 2
    assert scores["ws"]["reconnect"] == pytest.approx(3.75)
    assert scores["socketio"]["bundle_size"] == 2  # 14,500 B added
    assert scores["ws"]["latency_throughput"] == 5
    assert matrix.totals() == pytest.approx(EXPECTED_TOTALS, abs=1e-3)
    assert matrix.winner() == "ws"
    cell = matrix.cells["auth_complexity", "sse"]
    kinds = [e.kind for e in cell.evidence]
    assert kinds.count("measured") == 3 and kinds.count("fact") == 1
    fact = next(e for e in cell.evidence if e.kind == "fact")
    assert "EventSource cannot set" in fact.statement and "WHATWG" in fact.source
    measured = next(e for e in cell.evidence if e.metric == "connect_p95_ms")
    assert (measured.value, measured.unit, measured.repeats) == (20.0, "ms", 3)
    assert measured.spread == pytest.approx(2.0)


def test_changing_weights_flips_the_winner(results_dir: Path) -> None:
    matrix = build_matrix(load_run(results_dir), load_rubric())
    protocol_only = {"auth_complexity": 1.0, "bidirectional": 1.0, "reconnect": 1.0}
    assert matrix.winner(protocol_only) == "socketio"
    assert matrix.winner({"infra_fit": 1.0, "bidirectional": 0.2}) == "ws"
    assert matrix.winner({"reconnect": 1.0, "bundle_size": 1.0}) == "sse"


def with_weights(text: str, weights: dict[str, float]) -> str:
    for key, w in weights.items():
        text = re.sub(
            rf"(\[criteria\.{key}\]\nlabel = \"[^\"]*\"\nweight = )[\d.]+", rf"\g<1>{w}", text
        )
    return text


def test_custom_weights_file_changes_recommendation(results_dir: Path, tmp_path: Path) -> None:
    custom = tmp_path / "w.toml"
    zero = ["implementation_effort", "bundle_size", "latency_throughput", "infra_fit"]
    custom.write_text(with_weights(load_rubric().path.read_text(), dict.fromkeys(zero, 0.0)))
    rubric = load_rubric(custom)
    assert [rubric.weights[k] for k in zero] == [0.0] * 4
    assert rubric.weights["reconnect"] == 0.20
    assert build_matrix(load_run(results_dir), rubric).winner() == "socketio"


def test_missing_scenario_is_not_measured_and_excluded(make_run: MakeRun) -> None:
    run = load_run(make_run(drop=[("bundle", "sse")]))
    matrix = build_matrix(run, load_rubric())
    cell = matrix.cells["bundle_size", "sse"]
    assert cell.score is None
    assert [e.kind for e in cell.evidence] == ["not measured"]
    assert matrix.excluded("sse") == ["bundle_size"]
    scores = matrix.scores()["sse"]
    w = load_rubric().weights
    expected = sum(w[k] * s for k, s in scores.items() if s is not None) / (1 - w["bundle_size"])
    assert matrix.totals()["sse"] == pytest.approx(expected)


def test_invalid_rows_are_never_scored(make_run: MakeRun) -> None:
    run = load_run(make_run(invalid=[("latency", "ws"), ("fanout", "ws")]))
    cell = build_matrix(run, load_rubric()).cells["latency_throughput", "ws"]
    assert cell.score is None
    assert all("invalid" in e.statement for e in cell.evidence)


def test_sensitivity_is_seeded_and_names_sensitive_weights(results_dir: Path) -> None:
    rubric = load_rubric()
    matrix = build_matrix(load_run(results_dir), rubric)
    a = analyse(matrix, rubric.weights, rubric.sensitivity)
    b = analyse(matrix, rubric.weights, rubric.sensitivity)
    assert a.win_share == b.win_share
    assert a.recommended == "ws" and a.win_share["ws"] > 0.5
    assert sum(a.win_share.values()) == pytest.approx(1.0)
    assert len(a.one_at_a_time) == 2 * len(rubric.criteria)
    assert a.most_sensitive[0] in {"bidirectional", "reconnect"}
    # A close call: with reconnect and bundle heavy, sse and ws trade places under +/-50%.
    close = {**rubric.weights, "reconnect": 0.5, "latency_throughput": 0.02}
    c = analyse(matrix, close, rubric.sensitivity)
    assert c.flips and c.confidence != "high"


def test_newest_run_and_helpful_errors(make_run: MakeRun, tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="make bench"):
        newest_run(tmp_path / "nothing")
    first = make_run("run-1")
    second = make_run("run-2")
    os.utime(first / "manifest.json", (1, 1))
    assert newest_run(second.parent) == second
    with pytest.raises(ResultsError, match=r"manifest\.json"):
        load_run(tmp_path)

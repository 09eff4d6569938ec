"""Scoring from the hand-made folder: the schema, 1-5 scores, layer totals, bounds, invalid rows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rtspike.reports.loader import ResultsError, load_run, newest_run
from rtspike.reports.rubric import DEFAULT_WEIGHTS, RubricError, Tag, load_rubric
from rtspike.reports.scoring import (
    Kind,
    Layer,
    build_matrix,
    score_value,
    weighted_total,
)
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


def test_default_rubric_follows_the_schema() -> None:
    rubric = load_rubric(DEFAULT_WEIGHTS)
    keys = [r.key for r in rubric.rules]
    assert len(keys) == len(set(keys)), "no input in two criteria"
    timed = ("_p99_ms", "_p95_ms")
    latency_inputs = {r.criterion for r in rubric.rules if r.metric.endswith(timed)}
    assert latency_inputs <= {"latency", "bidirectional"}
    gated = {(g.scenario, g.metric) for g in rubric.gates}
    assert {("isolation", "leaks"), ("*", "lost"), ("*", "duplicated")} <= gated
    # losses are gates, except those of a library measured without our client (native)
    scored_losses = [r for r in rubric.rules if r.metric in {"leaks", "lost", "duplicated"}]
    assert all(r.scenario == "native" and r.case == "native/server_kill" for r in scored_losses)
    ours = [g for g in rubric.gates if g.case == "ours/*"]
    assert {(g.scenario, g.metric) for g in ours} >= {("native", "lost"), ("native", "duplicated")}
    assert all(set(g.exclude) == {"native", "proxy"} for g in rubric.gates if g.scenario == "*")
    assert all(f.url.startswith("https://") and f.section and f.version for f in rubric.facts)
    assert {r.tag for r in rubric.rules} == {Tag.PROTOCOL, Tag.SERVER}


def test_an_input_in_two_criteria_is_refused(tmp_path: Path) -> None:
    text = load_rubric().path.read_text()
    dup = text + (
        '\n[[rubric]]\ncriterion = "reconnect"\nscenario = "latency"\n'
        'metric = "latency_p99_ms"\nthresholds = [1, 2, 3, 4]\n'
    )
    (tmp_path / "w.toml").write_text(dup)
    with pytest.raises(RubricError, match="one criterion"):
        load_rubric(tmp_path / "w.toml")


def test_expected_scores_and_layer_totals(results_dir: Path) -> None:
    matrix = build_matrix(load_run(results_dir), load_rubric())
    scores = matrix.scores()
    assert scores["socketio"]["auth_complexity"] == 5  # declared fact only
    # recovery worst case 2.6 s -> 4 (within 5 s); declared fact 2
    assert scores["ws"]["reconnect"] == pytest.approx(3.0)
    assert scores["socketio"]["bundle_size"] == 3  # 14,500 B added: within 2x of the 50 KB budget
    # 30 us per delivery -> 4, capacity 800 -> 4, RSS 80 KB -> 5, fact 3
    assert scores["socketio"]["infra_fit"] == pytest.approx(4.0)
    assert matrix.totals() == pytest.approx(EXPECTED_TOTALS, abs=1e-3)
    measured = matrix.totals(layer=Layer.MEASURED)
    assert measured == pytest.approx(
        {"socketio": 3.8167 / 0.85, "sse": 4.0667 / 0.85, "ws": 3.8333 / 0.85}, abs=1e-3
    )
    declared = matrix.totals(layer=Layer.DECLARED)
    assert declared == pytest.approx({"socketio": 3.2 / 0.7, "sse": 2.5 / 0.7, "ws": 2.3 / 0.7})
    cell = matrix.cells["reconnect", "sse"]
    assert [e.kind for e in cell.evidence] == [Kind.MEASURED, Kind.FACT]
    fact = cell.evidence[1]
    assert "Last-Event-ID" in fact.statement
    assert fact.source.startswith("html.spec.whatwg.org/") and "Processing model" in fact.source
    ev = cell.evidence[0]
    assert (ev.case, ev.value, ev.unit, ev.repeats) == ("sigkill", 0.3, "s", 5)
    assert ev.spread == pytest.approx(0.03)


def test_non_discriminating_inputs_are_marked(results_dir: Path) -> None:
    matrix = build_matrix(load_run(results_dir), load_rubric())
    rss = [e for e in matrix.evidence() if e.metric == "rss_per_connection_kb"]
    assert len(rss) == 3 and not any(e.discriminates for e in rss)  # all 5: 80 KB vs 8 MB budget
    bundle = [e for e in matrix.evidence() if e.metric == "gzip_added_bytes"]
    assert all(e.discriminates for e in bundle)


def with_weights(text: str, weights: dict[str, float]) -> str:
    for key, w in weights.items():
        text = re.sub(
            rf"(\[criteria\.{key}\]\nlabel = \"[^\"]*\"\nweight = )[\d.]+", rf"\g<1>{w}", text
        )
    return text


def test_custom_weights_file_changes_the_leader(results_dir: Path, tmp_path: Path) -> None:
    custom = tmp_path / "w.toml"
    zero = ["auth_complexity", "bidirectional", "reconnect", "implementation_effort"]
    custom.write_text(with_weights(load_rubric().path.read_text(), dict.fromkeys(zero, 0.0)))
    rubric = load_rubric(custom)
    assert [rubric.weights[k] for k in zero] == [0.0] * 4
    matrix = build_matrix(load_run(results_dir), rubric)
    assert build_matrix(load_run(results_dir), load_rubric()).winner() == "socketio"
    assert matrix.winner(rubric.weights) in {"sse", "ws"}


def test_missing_scenario_is_not_measured_and_excluded(make_run: MakeRun) -> None:
    run = load_run(make_run(drop=[("bundle", "sse")]))
    matrix = build_matrix(run, load_rubric())
    cell = matrix.cells["bundle_size", "sse"]
    assert cell.score is None
    assert [e.kind for e in cell.evidence] == [Kind.NOT_MEASURED]
    assert matrix.excluded("sse") == ["bundle_size"]
    scores = matrix.scores()["sse"]
    w = load_rubric().weights
    expected = sum(w[k] * s for k, s in scores.items() if s is not None) / (1 - w["bundle_size"])
    assert matrix.totals()["sse"] == pytest.approx(expected)


def test_invalid_rows_are_never_scored_and_keep_their_own_note(make_run: MakeRun) -> None:
    notes = {("latency", "ws"): "generator CPU 97% (limit 90%)"}
    run = load_run(make_run(invalid=[("latency", "ws")], notes=notes))
    cell = build_matrix(run, load_rubric()).cells["latency", "ws"]
    lat = next(e for e in cell.evidence if e.metric == "latency_p99_ms")
    assert lat.kind == Kind.NOT_MEASURED and lat.score is None
    assert lat.statement == "generator CPU 97% (limit 90%)"
    assert cell.partial and cell.score == 5  # handshake and cross-node still scored


def test_one_at_a_time_names_the_weights_the_leader_hangs_on(results_dir: Path) -> None:
    rubric = load_rubric()
    matrix = build_matrix(load_run(results_dir), rubric)
    a = analyse(matrix, rubric.weights, rubric.verdict)
    assert a.leader == "socketio"
    assert len(a.one_at_a_time) == 2 * len(rubric.criteria)
    lead = EXPECTED_TOTALS["socketio"] - EXPECTED_TOTALS["sse"]
    assert a.baseline_margin == pytest.approx(lead, abs=1e-3)
    close = {**rubric.weights, "auth_complexity": 0.02, "bidirectional": 0.02}
    c = analyse(matrix, close, rubric.verdict)
    assert c.flips


def test_newest_run_and_helpful_errors(make_run: MakeRun, tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="make bench"):
        newest_run(tmp_path / "nothing")
    first = make_run("run-1")
    second = make_run("run-2")
    os.utime(first / "manifest.json", (1, 1))
    assert newest_run(second.parent) == second
    with pytest.raises(ResultsError, match=r"manifest\.json"):
        load_run(tmp_path)

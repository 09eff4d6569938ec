from __future__ import annotations

from pathlib import Path

from rtspike.scenarios import measure
from rtspike.scenarios.results import Results
from tests.scenarios.invariants import problems


def test_account_counts_loss_duplicates_and_reorders() -> None:
    acc = measure.account({"a": {1, 2, 3, 4}, "b": {1}}, {"a": [1, 3, 2, 3], "b": [1]})
    assert acc.as_dict() == {"delivered": 4, "lost": 1, "duplicated": 1, "reordered": 1}


def test_tag_round_trip_and_foreign_ids_are_ignored() -> None:
    assert measure.parse_tag(measure.tag("latws", 42)) == ("latws", 42)
    assert measure.parse_tag("not-a-tag") is None


def test_open_loop_schedule_is_fixed_rate_from_start() -> None:
    times = list(measure.schedule(10, 1.0, 1_000))
    assert len(times) == 10
    assert times[0] == 1_000 and times[1] - times[0] == 100_000_000


def test_histograms_merge_instead_of_averaging() -> None:
    a, b = measure.new_histogram(), measure.new_histogram()
    for _ in range(99):
        measure.record_us(a, 1000)
    measure.record_us(b, 500_000)
    merged = measure.merge([measure.encode(a), measure.encode(b)])
    s = measure.summary_ms(merged)
    assert s["count"] == 100
    assert 0.99 <= s["p50"] <= 1.01
    assert 499 <= s["max"] <= 501
    assert measure.summary_ms(measure.new_histogram())["count"] == 0


def test_invariant_check_detects_loss_leaks_and_errors(tmp_path: Path) -> None:
    res = Results()
    res.add("latency", "ws", "lost", 1, "count")
    res.add("isolation", "sse", "leaks", 2, "count")
    res.add("handshake", "socketio", "error", 1, "count", note="boom")
    res.add("latency", "ws", "delivered", 10, "count")
    folder = res.write(
        tmp_path / "run",
        {"profile": "x", "environment": {}, "versions": {}, "git": {}, "catalog": []},
    )
    found = problems(folder)
    assert len(found) == 3
    assert any("lost=1" in f for f in found) and any("leaks=2" in f for f in found)

"""Measured inputs -> 1-5 scores (rubric thresholds) -> weighted totals -> one recommendation.

Each step is a small pure function so a reader (and a test) can follow one cell from the CSV row
to the total. A criterion with no evidence for a transport is "not measured": it is left out of
that transport's total and the remaining weights are renormalised, never filled in.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from rtspike.reports.loader import Run

DEFAULT_WEIGHTS = Path(__file__).with_name("weights.toml")


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float
    rationale: str


@dataclass(frozen=True)
class Rule:
    criterion: str
    scenario: str
    metric: str
    thresholds: tuple[float, float, float, float]
    rationale: str
    better: str | None = None
    case: str | None = None


@dataclass(frozen=True)
class Fact:
    criterion: str
    transport: str
    score: float
    statement: str
    source: str


@dataclass(frozen=True)
class Rubric:
    criteria: list[Criterion]
    rules: list[Rule]
    facts: list[Fact]
    sensitivity: dict[str, float]
    path: Path

    @property
    def weights(self) -> dict[str, float]:
        return {c.key: c.weight for c in self.criteria}


@dataclass
class Evidence:
    """One input behind a cell: a measured figure (scenario/metric/value) or a declared fact."""

    kind: str  # "measured" | "fact" | "not measured"
    score: float | None
    scenario: str = ""
    metric: str = ""
    case: str = ""
    value: float | None = None
    unit: str = ""
    spread: float | None = None
    repeats: int = 0
    thresholds: tuple[float, ...] = ()
    better: str = ""
    statement: str = ""
    source: str = ""
    why: str = ""


@dataclass
class Cell:
    criterion: str
    transport: str
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        scores = [e.score for e in self.evidence if e.score is not None]
        return sum(scores) / len(scores) if scores else None


@dataclass
class Matrix:
    transports: list[str]
    criteria: list[Criterion]
    cells: dict[tuple[str, str], Cell]

    def scores(self) -> dict[str, dict[str, float | None]]:
        return {
            t: {c.key: self.cells[c.key, t].score for c in self.criteria} for t in self.transports
        }

    def totals(self, weights: Mapping[str, float] | None = None) -> dict[str, float | None]:
        w = weights or {c.key: c.weight for c in self.criteria}
        return {t: weighted_total(s, w) for t, s in self.scores().items()}

    def excluded(self, transport: str) -> list[str]:
        return [c.key for c in self.criteria if self.cells[c.key, transport].score is None]

    def winner(self, weights: Mapping[str, float] | None = None) -> str | None:
        return pick_winner(self.totals(weights), self.transports)


def load_rubric(path: Path | None = None) -> Rubric:
    path = Path(path) if path else DEFAULT_WEIGHTS
    data: dict[str, Any] = tomllib.loads(path.read_text())
    criteria = [
        Criterion(key, str(c.get("label", key)), float(c["weight"]), str(c.get("rationale", "")))
        for key, c in data.get("criteria", {}).items()
    ]
    if not criteria or any(c.weight < 0 for c in criteria) or sum(c.weight for c in criteria) <= 0:
        raise ValueError(f"{path}: needs [criteria.*] tables with non-negative weights")
    keys = {c.key for c in criteria}
    rules = []
    for r in data.get("rubric", []):
        thresholds = cast(
            tuple[float, float, float, float], tuple(float(x) for x in r["thresholds"])
        )
        if len(thresholds) != 4 or r["criterion"] not in keys:
            raise ValueError(
                f"{path}: rubric {r.get('metric')} needs 4 thresholds and a known criterion"
            )
        rules.append(
            Rule(
                r["criterion"],
                r["scenario"],
                r["metric"],
                thresholds,
                str(r.get("rationale", "")),
                r.get("better"),
                r.get("case"),
            )
        )
    facts = [
        Fact(f["criterion"], f["transport"], float(f["score"]), f["statement"], f["source"])
        for f in data.get("facts", [])
        if f["criterion"] in keys
    ]
    return Rubric(criteria, rules, facts, dict(data.get("sensitivity", {})), path)


def score_value(value: float, better: str, thresholds: tuple[float, ...]) -> int:
    """5 at or beyond thresholds[0], then 4, 3, 2; 1 when it misses them all."""
    for score, limit in zip((5, 4, 3, 2), thresholds, strict=True):
        if (value <= limit) if better == "lower" else (value >= limit):
            return score
    return 1


def weighted_total(
    scores: Mapping[str, float | None], weights: Mapping[str, float]
) -> float | None:
    """Weighted mean over the criteria that have a score (weights renormalised over them)."""
    used = [(weights.get(k, 0.0), s) for k, s in scores.items() if s is not None]
    mass = sum(w for w, _ in used)
    return sum(w * s for w, s in used) / mass if mass > 0 else None


def pick_winner(totals: Mapping[str, float | None], order: list[str]) -> str | None:
    """Highest total; a tie goes to the transport listed first (stable, documented)."""
    ranked = [(t, v) for t in order if (v := totals.get(t)) is not None]
    return max(ranked, key=lambda tv: tv[1])[0] if ranked else None


def measure(run: Run, rule: Rule, transport: str, rows: pd.DataFrame | None = None) -> Evidence:
    """The rule's figure for one transport: valid summary rows only, worst case across cases."""
    rows = run.summary_rows() if rows is None else rows
    mask = (
        (rows["scenario"] == rule.scenario)
        & (rows["transport"] == transport)
        & (rows["metric"] == rule.metric)
    )
    if rule.case is not None:
        mask &= rows["case"] == rule.case
    found = rows[mask]
    better = rule.better or run.better(rule.scenario, rule.metric)
    base = Evidence(
        "not measured",
        None,
        rule.scenario,
        rule.metric,
        thresholds=rule.thresholds,
        better=better,
        why=rule.rationale,
    )
    if found.empty:
        base.statement = "no rows in metrics.csv"
        return base
    valid = found[found["valid"] & found["value"].map(math.isfinite)]
    if valid.empty:
        base.statement = "every row invalid (load generator saturated)"
        return base
    pick = valid["value"].idxmax() if better == "lower" else valid["value"].idxmin()
    row = valid.loc[pick]
    spread = row["spread"]
    return Evidence(
        "measured",
        score_value(float(row["value"]), better, rule.thresholds),
        rule.scenario,
        rule.metric,
        str(row["case"]),
        float(row["value"]),
        str(row["unit"]),
        None if spread != spread else float(spread),
        run.repeats(rule.scenario, transport, rule.metric, str(row["case"])),
        rule.thresholds,
        better,
        why=rule.rationale,
    )


def build_matrix(run: Run, rubric: Rubric) -> Matrix:
    transports = run.transports
    cells = {(c.key, t): Cell(c.key, t) for c in rubric.criteria for t in transports}
    rows = run.summary_rows()
    for rule in rubric.rules:
        for t in transports:
            cells[rule.criterion, t].evidence.append(measure(run, rule, t, rows))
    for fact in rubric.facts:
        if (fact.criterion, fact.transport) in cells:
            cells[fact.criterion, fact.transport].evidence.append(
                Evidence("fact", fact.score, statement=fact.statement, source=fact.source)
            )
    return Matrix(transports, rubric.criteria, cells)

"""Measured inputs and declared facts -> 1-5 scores -> per-layer weighted totals.

Two layers are kept apart: *measured* inputs (rubric entries, scored from this run's repeats) and
*declared* facts (judgements with a citation). A cell's combined score is the mean of all its
scored inputs; the measured and declared totals use only their own layer. Each step is a small
pure function, so a reader (and a test) can follow one cell from the CSV rows to the total.

What is not scored is said, never filled in: no rows ("not measured"), every row invalid (each
row's own note), a favourable bound ("at least 300": not scored). A timeout on a lower-is-better
figure ("did not recover") is a failure and scores 1: a case that never recovered must never
look better than a slow one. The uncertainty of every score is computed in `uncertainty.py`
from the repeat values kept here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from rtspike.reports.loader import Run
from rtspike.reports.rubric import (
    DEFAULT_WEIGHTS,
    Criterion,
    Fact,
    Rubric,
    Rule,
    Tag,
    load_rubric,
)

__all__ = ["DEFAULT_WEIGHTS", "Criterion", "Fact", "Rubric", "Rule", "load_rubric"]

FAILURE_SCORE = 1
AT_LEAST, AT_MOST = "at_least", "at_most"


class Kind(StrEnum):
    MEASURED = "measured"
    FACT = "fact"
    NOT_MEASURED = "not measured"
    NOT_SCORED = "not scored"  # a bound in the transport's favour: shown, never scored


class Layer(StrEnum):
    MEASURED = "measured"
    DECLARED = "declared"
    COMBINED = "combined"


@dataclass
class CaseSample:
    """One case of one input: the valid repeat values, or a fixed score (a failure)."""

    case: str
    values: tuple[float, ...]
    fixed: int | None = None


@dataclass
class Evidence:
    """One input behind a cell: a measured figure or a declared fact."""

    kind: Kind
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
    tag: Tag = Tag.SERVER
    deterministic: bool = False
    failed: bool = False
    bound: str = ""
    notes: list[str] = field(default_factory=list)
    samples: list[CaseSample] = field(default_factory=list)
    discriminates: bool = True
    fact: Fact | None = None

    @property
    def single_sample(self) -> bool:
        """Scored from one figure whose noise is unknown (not an exact count)."""
        return (
            self.kind == Kind.MEASURED
            and not self.deterministic
            and not self.failed
            and any(len(c.values) < 2 for c in self.samples if c.fixed is None)
        )

    @property
    def partial(self) -> bool:
        """Scored on some cases while others had no valid figure."""
        return self.kind == Kind.MEASURED and bool(self.notes)


@dataclass
class Cell:
    criterion: str
    transport: str
    evidence: list[Evidence] = field(default_factory=list)

    def layer_score(self, layer: Layer) -> float | None:
        kinds = {
            Layer.MEASURED: (Kind.MEASURED,),
            Layer.DECLARED: (Kind.FACT,),
            Layer.COMBINED: (Kind.MEASURED, Kind.FACT),
        }[layer]
        scores = [e.score for e in self.evidence if e.kind in kinds and e.score is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def score(self) -> float | None:
        return self.layer_score(Layer.COMBINED)

    @property
    def missing(self) -> list[Evidence]:
        return [e for e in self.evidence if e.kind in (Kind.NOT_MEASURED, Kind.NOT_SCORED)]

    @property
    def partial(self) -> bool:
        """Some inputs scored and some not (or scored on part of their cases): flagged, since
        the cell's mean is then over fewer inputs than the rubric asks for."""
        return self.score is not None and (
            bool(self.missing) or any(e.partial for e in self.evidence)
        )


@dataclass
class Matrix:
    transports: list[str]
    criteria: list[Criterion]
    cells: dict[tuple[str, str], Cell]

    def scores(self, layer: Layer = Layer.COMBINED) -> dict[str, dict[str, float | None]]:
        return {
            t: {c.key: self.cells[c.key, t].layer_score(layer) for c in self.criteria}
            for t in self.transports
        }

    def totals(
        self, weights: Mapping[str, float] | None = None, layer: Layer = Layer.COMBINED
    ) -> dict[str, float | None]:
        w = weights or {c.key: c.weight for c in self.criteria}
        return {t: weighted_total(s, w) for t, s in self.scores(layer).items()}

    def excluded(self, transport: str) -> list[str]:
        return [c.key for c in self.criteria if self.cells[c.key, transport].score is None]

    def partial_cells(self) -> list[Cell]:
        return [
            self.cells[c.key, t]
            for c in self.criteria
            for t in self.transports
            if self.cells[c.key, t].partial
        ]

    def winner(self, weights: Mapping[str, float] | None = None) -> str | None:
        return pick_winner(self.totals(weights), self.transports)

    def evidence(self) -> list[Evidence]:
        return [e for cell in self.cells.values() for e in cell.evidence]


def missing_facts(rubric: Rubric, transports: list[str]) -> list[tuple[str, str]]:
    """(criterion, transport) pairs the facts table leaves empty for the given transports.

    A criterion scored from declared facts must have one per transport: a missing one would
    drop the criterion from that transport's total (weights renormalised) without anyone
    deciding so. The test suite checks this for every registered transport.
    """
    declared = {(f.criterion, f.transport) for f in rubric.facts}
    criteria = sorted({f.criterion for f in rubric.facts})
    return [(c, t) for c in criteria for t in transports if (c, t) not in declared]


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


def _median(values: tuple[float, ...]) -> float:
    return float(pd.Series(values).median())


def _note(rows: pd.DataFrame, default: str) -> str:
    """The rows' own note (what the scenario said went wrong), never a fixed string."""
    notes = [str(n) for n in rows["note"].tolist() if str(n).strip()]
    return notes[0] if notes else default


def _case_sample(group: pd.DataFrame, better: str) -> tuple[CaseSample | None, str, str]:
    """(sample, note when unusable, bound kind) for one case's rows."""
    finite = group[group["value"].map(math.isfinite)]
    valid = finite[finite["valid"]]
    case = str(group["case"].iloc[0])
    if valid.empty:
        note = _note(group, "flagged invalid by the scenario")
        return None, f"[{case}] {note}" if case else note, ""
    bound = next((str(b) for b in valid["bound"].tolist() if str(b)), "")
    repeats = valid[valid["repeat"] >= 0]
    use = repeats if len(repeats) else valid
    values = tuple(float(v) for v in use["value"].tolist())
    if bound:
        timed_out = (bound == AT_LEAST) == (better == "lower")
        sample = CaseSample(case, values, FAILURE_SCORE if timed_out else None)
        default = "timed out" if timed_out else "a bound, not a measurement"
        return (sample if timed_out else None), _note(valid, default), bound
    return CaseSample(case, values), "", ""


def measure(run: Run, rule: Rule, transport: str, rows: pd.DataFrame | None = None) -> Evidence:
    """The rule's figure for one transport: valid rows only, each case scored on the median of
    its repeats, the worst case counting."""
    m = run.metrics if rows is None else rows
    mask = (m["scenario"] == rule.scenario) & (m["transport"] == transport)
    mask &= m["metric"] == rule.metric
    if rule.case is not None:
        mask &= m["case"] == rule.case
    found = m[mask]
    better = rule.better or run.better(rule.scenario, rule.metric)
    ev = Evidence(
        Kind.NOT_MEASURED,
        None,
        rule.scenario,
        rule.metric,
        thresholds=rule.thresholds,
        better=better,
        why=rule.rationale,
        tag=rule.tag,
        deterministic=rule.deterministic,
    )
    if found.empty:
        ev.statement = "no rows in metrics.csv"
        return ev
    favourable: list[tuple[float, str, str]] = []
    for _, group in found.groupby("case", sort=False):
        sample, note, bound = _case_sample(group, better)
        if sample is not None:
            ev.samples.append(sample)
            if sample.fixed is not None:
                ev.notes.append(f"[{sample.case}] {note}" if sample.case else note)
        elif bound:
            favourable.append((_median(tuple(group["value"])), str(group["case"].iloc[0]), note))
        else:
            ev.notes.append(note)
    failures = [s for s in ev.samples if s.fixed is not None]
    if not ev.samples:
        if favourable:
            value, case, note = favourable[0]
            ev.kind, ev.value, ev.case, ev.bound = Kind.NOT_SCORED, value, case, AT_LEAST
            ev.unit = str(found["unit"].iloc[0])
            ev.statement = note or "a bound, not a measurement"
        else:
            ev.statement = "; ".join(ev.notes) or "every row invalid"
        return ev
    ev.kind = Kind.MEASURED
    ev.unit = str(found["unit"].iloc[0])
    if failures:
        worst = failures[0]
        ev.failed = True
        ev.bound = AT_LEAST
        ev.score = FAILURE_SCORE
        ev.case, ev.value = worst.case, _median(worst.values)
        ev.statement = ev.notes[0] if ev.notes else "timed out"
        ev.notes = [n for n in ev.notes if n != ev.statement]
    else:
        medians = [(_median(s.values), s) for s in ev.samples]
        value, worst = (max if better == "lower" else min)(medians, key=lambda vs: vs[0])
        ev.case, ev.value = worst.case, value
        ev.score = score_value(value, better, rule.thresholds)
        ev.spread = max(worst.values) - min(worst.values) if len(worst.values) > 1 else None
    ev.repeats = len(worst.values)
    return ev


def build_matrix(run: Run, rubric: Rubric) -> Matrix:
    transports = run.transports
    cells = {(c.key, t): Cell(c.key, t) for c in rubric.criteria for t in transports}
    for rule in rubric.rules:
        row = [measure(run, rule, t, run.metrics) for t in transports]
        mark_discrimination(row)
        for t, ev in zip(transports, row, strict=True):
            cells[rule.criterion, t].evidence.append(ev)
    for c in rubric.criteria:
        row = []
        for fact in (f for f in rubric.facts if f.criterion == c.key):
            if (fact.criterion, fact.transport) in cells:
                ev = Evidence(
                    Kind.FACT,
                    fact.score,
                    statement=fact.statement,
                    source=fact.source,
                    tag=fact.tag,
                    fact=fact,
                )
                cells[fact.criterion, fact.transport].evidence.append(ev)
                row.append(ev)
        mark_discrimination(row, len(transports))
    return Matrix(transports, rubric.criteria, cells)


def mark_discrimination(row: list[Evidence], expected: int | None = None) -> None:
    """An input that scores the same for every transport decides nothing: say so."""
    scored = [e.score for e in row if e.score is not None]
    same = len(scored) >= 2 and len(set(scored)) == 1 and len(scored) == (expected or len(row))
    for e in row:
        e.discriminates = not same

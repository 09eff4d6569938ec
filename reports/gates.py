"""Gates: requirements a transport passes or fails, evaluated before anything is scored.

A leak to another team is not "a low score" to be averaged against a small bundle; it rules the
transport out. So gates are pass / fail / not measured per transport, with the row that decided
it, and a transport that fails any gate is not eligible for the recommendation.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from rtspike.reports.loader import SUMMARY, Run
from rtspike.reports.rubric import Gate, Rubric


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    transport: str
    status: Status
    evidence: str
    value: float | None = None


@dataclass
class Gates:
    transports: list[str]
    results: list[GateResult]

    def of(self, transport: str) -> list[GateResult]:
        return [r for r in self.results if r.transport == transport]

    def failed(self, transport: str) -> list[GateResult]:
        return [r for r in self.of(transport) if r.status == Status.FAIL]

    def unmeasured(self, transport: str) -> list[GateResult]:
        return [r for r in self.of(transport) if r.status == Status.NOT_MEASURED]

    def eligible(self, transport: str) -> bool:
        return not self.failed(transport)

    @property
    def eligible_transports(self) -> list[str]:
        return [t for t in self.transports if self.eligible(t)]

    def cell(self, gate: Gate, transport: str) -> GateResult:
        return next(r for r in self.results if r.gate == gate and r.transport == transport)


def _where(row: pd.Series) -> str:
    parts = [str(row["scenario"])]
    if str(row["case"]):
        parts.append(f"[{row['case']}]")
    if int(row["repeat"]) != SUMMARY:
        parts.append(f"repeat {int(row['repeat']) + 1}")
    return " ".join(parts)


def _candidates(rows: pd.DataFrame, over: str) -> list[tuple[float, str]]:
    """(value, where) pairs the gate must hold for: every row, or each case's median."""
    if over == "worst":
        out: list[tuple[float, str]] = []
        for _, group in rows.groupby(["scenario", "case"], sort=False):
            each = group[group["repeat"] != SUMMARY]
            use = each if len(each) else group
            out += [(float(r["value"]), _where(r)) for _, r in use.iterrows()]
        return out
    out = []
    for (scenario, case), group in rows.groupby(["scenario", "case"], sort=False):
        summary = group[group["repeat"] == SUMMARY]
        value = summary["value"].iloc[0] if len(summary) else group["value"].median()
        label = f"{scenario} [{case}]" if case else str(scenario)
        out.append((float(value), f"{label}, median of repeats"))
    return out


def evaluate_gate(run: Run, gate: Gate, transport: str) -> GateResult:
    m = run.metrics
    mask = (m["transport"] == transport) & (m["metric"] == gate.metric)
    if gate.scenario != "*":
        mask &= m["scenario"] == gate.scenario
    if gate.exclude:
        mask &= ~m["scenario"].isin(gate.exclude)
    if gate.case != "*":
        mask &= m["case"].map(lambda c: fnmatch.fnmatchcase(str(c), gate.case))
    rows = m[mask & m["value"].map(math.isfinite)]
    valid = rows[rows["valid"]]
    if valid.empty:
        notes = [str(n) for n in rows["note"].tolist() if str(n).strip()]
        why = f"every row invalid: {notes[0]}" if notes else "no rows in metrics.csv"
        return GateResult(gate, transport, Status.NOT_MEASURED, why)
    checks = _candidates(valid, gate.over)
    failing = [(v, w) for v, w in checks if not gate.passes(v)]
    if failing:
        value, where = max(failing, key=lambda vw: abs(vw[0] - gate.limit))
        text = f"{gate.metric} = {value:g} in {where} (needs {gate.op} {gate.limit:g})"
        return GateResult(gate, transport, Status.FAIL, text, value)
    value, where = max(checks, key=lambda vw: -abs(gate.limit - vw[0]))
    scenarios = sorted(set(valid["scenario"]))
    text = f"{len(checks)} figure(s) in {', '.join(scenarios)}; closest {value:g} ({where})"
    return GateResult(gate, transport, Status.PASS, text, value)


def evaluate(run: Run, rubric: Rubric) -> Gates:
    transports = run.transports
    return Gates(transports, [evaluate_gate(run, g, t) for g in rubric.gates for t in transports])


def errored_scenarios(run: Run) -> list[tuple[str, str, str]]:
    """(scenario, transport, note) for every scenario that raised instead of finishing."""
    m = run.metrics
    rows = m[m["metric"] == "error"]
    return [
        (str(r["scenario"]), str(r["transport"]), str(r["note"]) or "the scenario failed")
        for _, r in rows.iterrows()
    ]

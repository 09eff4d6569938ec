"""The report as a decision record (ADR): context, drivers, options, decision, consequences,
risks R1-R5, validation criteria, re-evaluation triggers, status.

The prose is in ``adr.toml``; every figure is this run's (summary rows of metrics.csv), so a
sentence such as "closes within 1 s" is always shown next to what was measured, per transport.
"""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtspike.reports.gates import GateResult, Status
from rtspike.reports.loader import Run
from rtspike.reports.verdict import Verdict

SPEC = Path(__file__).with_name("adr.toml")
OPS = {"<=": operator.le, "<": operator.lt, "==": operator.eq, ">=": operator.ge}


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def rtspike_files(spec: dict[str, Any] | None = None) -> list[str]:
    """Files rtspike wrote for each protocol feature (counted into handoff.json at bench time)."""
    spec = spec or load_spec()
    return sorted({p for f in spec["features"] for p in f["rtspike"]})


@dataclass
class Figure:
    """One metric for one transport: worst case across cases unless a case is named."""

    value: float | None
    case: str = ""
    note: str = ""

    @property
    def measured(self) -> bool:
        return self.value is not None


def figures(run: Run, scenario: str, metric: str, case: str | None = None) -> dict[str, Figure]:
    rows = run.summary_rows()
    part = rows[(rows["scenario"] == scenario) & (rows["metric"] == metric) & rows["valid"]]
    if case is not None:
        part = part[part["case"] == case]
    higher = run.better(scenario, metric) == "higher"
    out: dict[str, Figure] = {}
    for t in run.transports:
        mine = part[part["transport"] == t]
        vals = [
            (float(v), str(c))
            for v, c in zip(mine["value"], mine["case"], strict=True)
            if math.isfinite(float(v))
        ]
        if not vals:
            out[t] = Figure(None)
            continue
        value, worst = (min if higher else max)(vals)
        out[t] = Figure(value, worst if len(vals) > 1 else "")
    return out


@dataclass
class Check:
    """A limit from the story compared with each transport's figure."""

    text: str
    limit: float
    unit: str
    op: str
    figures: dict[str, Figure]
    verdicts: dict[str, str] = field(default_factory=dict)
    margins: dict[str, float | None] = field(default_factory=dict)

    @property
    def higher(self) -> bool:
        """A floor (e.g. connections held): a figure below it was not reached by this run's
        profile, which is not the same as the limit being broken."""
        return self.op == ">="


def check(run: Run, row: Mapping[str, Any], text_key: str) -> Check:
    found = figures(run, str(row["scenario"]), str(row["metric"]), row.get("case"))
    limit = float(row["limit"])
    op = str(row.get("op", ">=" if row.get("higher") else "<="))
    out = Check(str(row[text_key]), limit, str(row["unit"]), op, found)
    for t, f in found.items():
        if f.value is None:
            out.verdicts[t], out.margins[t] = "not measured", None
            continue
        out.verdicts[t] = "meets" if OPS[op](f.value, limit) else "fails"
        if limit and f.value:
            ratio = f.value / limit if op == ">=" else limit / f.value
            out.margins[t] = ratio
        else:
            out.margins[t] = None
    return out


@dataclass
class Risk:
    id: str
    risk: str
    rating: str
    rows: list[tuple[str, dict[str, Figure]]]
    note: str = ""


def gate_trigger(run: Run, results: list[GateResult]) -> Check:
    """A gate with an upper limit as a trigger: the margin is how far each transport's deciding
    figure sits inside the limit."""
    gate = results[0].gate
    figs = {
        r.transport: Figure(r.value if r.status != Status.NOT_MEASURED else None) for r in results
    }
    unit = str(run.catalog.get((gate.scenario, gate.metric), {}).get("unit", ""))
    out = Check(f"{gate.name} no longer holds", gate.limit, unit, gate.op, figs)
    for r in results:
        out.verdicts[r.transport] = str(r.status)
        out.margins[r.transport] = gate.limit / r.value if r.value else None
    return out


def exit_criteria(verdict: Verdict) -> list[dict[str, Any]]:
    """The verdict's gates, each with every transport's result: Story 4.2 must pass the same."""
    rows: dict[str, dict[str, Any]] = {}
    for r in verdict.gates.results:
        row = rows.setdefault(r.gate.name, {"gate": r.gate, "results": {}})
        row["results"][r.transport] = r
    return list(rows.values())


def risks(run: Run, spec: dict[str, Any]) -> list[Risk]:
    out = []
    for r in spec["risks"]:
        rows = [
            (str(m["label"]), figures(run, m["scenario"], m["metric"], m.get("case")))
            for m in r["metrics"]
        ]
        note = str(r.get("not_measured") or r.get("mitigation") or "")
        out.append(Risk(r["id"], r["risk"], r["rating"], rows, note))
    return out


def drivers(weights: Mapping[str, float], labels: Mapping[str, str]) -> list[tuple[str, float]]:
    """Criteria by weight, heaviest first (the weights are the drivers' ranking)."""
    total = sum(weights.values()) or 1.0
    ranked = sorted(weights.items(), key=lambda kv: -kv[1])
    return [(labels.get(k, k), w / total) for k, w in ranked]


def numbers(options: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Each transport's option numbers (1-based, as the options table shows them)."""
    out: dict[str, list[int]] = {}
    for i, o in enumerate(options, 1):
        out.setdefault(str(o["transport"]), []).append(i)
    return out


def series(nums: list[int]) -> str:
    """``[3, 4, 5]`` as "3, 4 and 5"."""
    words = [str(n) for n in nums]
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def option_label(nums: list[int]) -> str:
    """Numbers as a heading shows them: "option 3", "options 1-2" or "options 1 and 3"."""
    if len(nums) == 1:
        return f"option {nums[0]}"
    consecutive = nums == list(range(nums[0], nums[-1] + 1))
    return f"options {nums[0]}-{nums[-1]}" if consecutive else f"options {series(nums)}"


def consequences(
    spec: dict[str, Any], lines: Mapping[str, int], transports: list[str]
) -> list[dict[str, Any]]:
    """One row per protocol feature: what each transport leaves to the team (``cells``, in the
    order of ``transports``) and the files rtspike wrote for it."""
    rows = []
    for f in spec["features"]:
        files = [{"path": p, "lines": lines.get(p)} for p in f["rtspike"]]
        cells = [str(f.get(t, "not written yet")) for t in transports]
        rows.append({"label": f["label"], "files": files, "cells": cells})
    return rows


def columns(options: list[dict[str, Any]], names: Mapping[str, str]) -> list[dict[str, str]]:
    """The consequences table's transport columns: every transport among the options, in their
    order, headed by its short name and the options it covers."""
    return [
        {"transport": t, "heading": f"{names.get(t, t)} ({option_label(nums)})"}
        for t, nums in numbers(options).items()
    ]


def decision(
    verdict: Verdict,
    spec: Mapping[str, Any],
    options: list[dict[str, Any]],
    names: Mapping[str, str],
) -> dict[str, Any]:
    """The verdict plus what the Decision paragraph cites: the status-quo option (``status_quo``
    in adr.toml, keeping the PoC as it is), the incumbent transport it keeps, the option chosen
    and the options left."""
    keys = [str(o["key"]) for o in options]
    status_quo = keys.index(spec["status_quo"]) + 1
    incumbent = str(options[status_quo - 1]["transport"])
    mine = numbers(options).get(verdict.winner or "", [])
    chosen = next((n for n in mine if n != status_quo), mine[0] if mine else None)
    others = [n for n in range(1, len(options) + 1) if n not in (status_quo, chosen)]
    return {
        "outcome": str(verdict.outcome),
        "winner": verdict.winner,
        "leaders": list(verdict.leaders),
        "reasons": list(verdict.reasons),
        "status_quo": status_quo,
        "incumbent": names.get(incumbent, incumbent),
        "incumbent_options": numbers(options)[incumbent],
        "evolves": verdict.winner == incumbent,
        "chosen": options[chosen - 1] if chosen else None,
        "chosen_number": chosen,
        "others": others,
    }


def missing_options(spec: Mapping[str, Any], transports: list[str]) -> list[str]:
    """Transports measured in a run that ``adr.toml`` has no option for (the test suite checks
    that every registered transport has one; a run may still hold others)."""
    described = {o["transport"] for o in spec["options"]}
    return [t for t in transports if t not in described]


def placeholder_option(transport: str, total: str | None) -> dict[str, Any]:
    """An option with its figures but no prose, so the record still names every candidate."""
    unwritten = f"not written yet: add an [[options]] entry for {transport!r} to reports/adr.toml"
    return {
        "key": transport,
        "transport": transport,
        "title": f"{transport} (no decision-record prose)",
        "switching": unwritten,
        "cost": unwritten,
        "total": total,
    }


def adr_context(
    run: Run,
    verdict: Verdict,
    weights: Mapping[str, float],
    labels: Mapping[str, str],
    totals: Mapping[str, str],
    lines: Mapping[str, int],
    names: Mapping[str, str],
    spec_path: Path = SPEC,
) -> dict[str, Any]:
    """``totals``: each transport's combined total as the verdict shows it (with its interval);
    ``names``: each transport's short name (a transport without one is shown by its key)."""
    spec = load_spec(spec_path)
    created = str(
        run.manifest.get("finished_at")
        or run.manifest.get("started_at")
        or run.manifest.get("created")
        or ""
    )
    options = [{**o, "total": totals.get(o["transport"])} for o in spec["options"]]
    options += [placeholder_option(t, totals.get(t)) for t in missing_options(spec, run.transports)]
    cols = columns(options, names)
    criteria = exit_criteria(verdict)
    upper = [
        list(row["results"].values())
        for row in criteria
        if row["gate"].op in ("<", "<=") and row["gate"].limit > 0
    ]
    return {
        "adr": {
            "status": spec["status"],
            "status_note": spec["status_note"],
            "date": created[:10] or "unknown",
            "requirements": spec["requirements"],
            "constraints": spec["constraints"],
            "measured_where": spec["measured_where"],
            "drivers": drivers(weights, labels),
            "options": options,
            "decision": decision(verdict, spec, options, names),
            "columns": cols,
            "consequences": consequences(spec, lines, [c["transport"] for c in cols]),
            "risks": risks(run, spec),
            "validation": criteria,
            "validation_extra": spec["validation_extra"],
            "triggers": [gate_trigger(run, r) for r in upper]
            + [check(run, t, "trigger") for t in spec["triggers"]],
            "triggers_unmeasured": spec["triggers_unmeasured"],
        }
    }

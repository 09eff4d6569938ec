"""The run's one-line verdict, written beside report.html as ``summary.json`` so that the CLI
(and anything else) can print it without parsing HTML. Same words as the report's summary:
a recommendation with its win probability, "too close to call" naming the leaders, or no
winner with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rtspike.reports.loader import Run
from rtspike.reports.scoring import Layer, Rubric
from rtspike.reports.verdict import Outcome, Verdict, decide

SUMMARY_FILE = "summary.json"


def summarise(run: Run, rubric: Rubric, found: Verdict | None = None) -> dict[str, Any]:
    v = found or decide(run, rubric)
    view = v.layers[Layer.COMBINED]
    return {
        "outcome": v.outcome.value,
        "winner": v.winner,
        "leaders": v.leaders,
        "win_probability": view.win,
        "totals": view.totals,
        "intervals": view.intervals,
        "measured_totals": v.layers[Layer.MEASURED].totals,
        "declared_totals": v.layers[Layer.DECLARED].totals,
        "ranked": view.ranked,
        "not_eligible": v.not_eligible(),
        "reasons": v.reasons,
        "deciding": v.deciding,
        "not_for_decisions": v.not_for_decisions,
        "verdict": verdict_line(v),
    }


def verdict_line(v: Verdict) -> str:
    view = v.layers[Layer.COMBINED]
    out = {t: ", ".join(g) for t, g in v.not_eligible().items()}
    tail = "".join(f"; {t} not eligible ({g})" for t, g in out.items())
    if v.outcome == Outcome.NO_WINNER:
        return "no winner: " + "; ".join(v.reasons) + tail
    totals = ", ".join(f"{t} {view.shown(t)}" for t in view.ranked)
    if v.outcome == Outcome.TOO_CLOSE:
        return f"too close to call: {' and '.join(v.leaders)} ({totals}){tail}"
    return (
        f"recommendation: {v.winner}, win probability {v.win_probability:.0%} "
        f"(noise, facts +/-1 and weights drawn together); {totals}{tail}"
    )


def write_summary(folder: Path, run: Run, rubric: Rubric, found: Verdict | None = None) -> Path:
    target = folder / SUMMARY_FILE
    target.write_text(json.dumps(summarise(run, rubric, found), indent=2))
    return target


def read_verdict(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / SUMMARY_FILE).read_text())["verdict"])
    except (OSError, ValueError, KeyError):
        return None

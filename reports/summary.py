"""The run's one-line verdict, written beside report.html as ``summary.json`` so that the CLI
(and anything else) can print the recommendation without parsing HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rtspike.reports.loader import Run
from rtspike.reports.scoring import Rubric, build_matrix

SUMMARY_FILE = "summary.json"


def summarise(run: Run, rubric: Rubric) -> dict[str, Any]:
    matrix = build_matrix(run, rubric)
    totals = matrix.totals()
    winner = matrix.winner()
    ranked = sorted(
        (t for t, v in totals.items() if v is not None), key=lambda t: -(totals[t] or 0)
    )
    return {
        "winner": winner,
        "totals": totals,
        "ranked": ranked,
        "verdict": verdict(winner, ranked, totals),
    }


def verdict(winner: str | None, ranked: list[str], totals: dict[str, float | None]) -> str:
    if winner is None:
        return "no recommendation: no transport has enough measured criteria (see the report)"
    others = ", ".join(f"{t} {totals[t]:.2f}" for t in ranked if t != winner)
    return f"recommendation: {winner} ({totals[winner] or 0:.2f} of 5)" + (
        f", ahead of {others}" if others else ""
    )


def write_summary(folder: Path, run: Run, rubric: Rubric) -> Path:
    target = folder / SUMMARY_FILE
    target.write_text(json.dumps(summarise(run, rubric), indent=2))
    return target


def read_verdict(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / SUMMARY_FILE).read_text())["verdict"])
    except (OSError, ValueError, KeyError):
        return None

"""A weights file checked against the metric catalogue before the report uses it: a misspelt
metric would otherwise score as "not measured" without a word, and all-zero weights would be
reported as a format problem."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from rtspike.errors import UsageError
from rtspike.scenarios.catalog import CATALOG, SCENARIOS


def _near(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f"; did you mean {match[0]!r}?" if match else f"; known: {', '.join(sorted(options))}"


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem in a parsed weights file, one sentence each (empty: the file is usable)."""
    found: list[str] = []
    criteria: dict[str, Any] = data.get("criteria", {})
    weights = {k: c.get("weight", 0) for k, c in criteria.items() if isinstance(c, dict)}
    for key, weight in weights.items():
        if not isinstance(weight, int | float) or weight < 0:
            found.append(f"criterion {key!r} has weight {weight!r}; use a number of 0 or more")
    if criteria and all(isinstance(w, int | float) and w == 0 for w in weights.values()):
        found.append("every criterion weight is 0; give at least one criterion a positive weight")
    metrics_of: dict[str, list[str]] = {}
    for scenario, metric in CATALOG:
        metrics_of.setdefault(scenario, []).append(metric)
    for rule in data.get("rubric", []):
        scenario, metric = str(rule.get("scenario", "")), str(rule.get("metric", ""))
        criterion = str(rule.get("criterion", ""))
        if scenario not in metrics_of:
            found.append(f"unknown scenario {scenario!r}{_near(scenario, list(SCENARIOS))}")
        elif metric not in metrics_of[scenario]:
            found.append(
                f"unknown metric {metric!r} in scenario {scenario!r}"
                f"{_near(metric, metrics_of[scenario])}"
            )
        if criteria and criterion not in criteria:
            found.append(
                f"rubric rule {metric!r} names unknown criterion {criterion!r}"
                f"{_near(criterion, list(criteria))}"
            )
    for gate in data.get("gates", []):
        scenario, metric = str(gate.get("scenario", "*")), str(gate.get("metric", ""))
        known = (
            sorted({m for ms in metrics_of.values() for m in ms})
            if scenario == "*"
            else metrics_of.get(scenario)
        )
        if known is None:
            found.append(f"gate on unknown scenario {scenario!r}{_near(scenario, list(SCENARIOS))}")
        elif metric not in known:
            found.append(f"gate on unknown metric {metric!r}{_near(metric, known)}")
    return found


def check_weights_file(path: Path) -> None:
    """Raise UsageError naming the first problem (the file's name, never its full path)."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError:
        raise UsageError(
            f"weights file {path.name} not found; copy reports/weights.toml and edit it, "
            "or leave out --weights"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"weights file {path.name} is not valid TOML ({exc})") from None
    found = problems(data)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise UsageError(f"weights file {path.name}: {found[0]}{more}.")

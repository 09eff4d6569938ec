"""Render one self-contained HTML report from a results folder (and nothing else).

`render_report` is what `rtspike report` and the end of `rtspike bench` call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import structlog

from rtspike.reports import charts, peers
from rtspike.reports.adr import adr_context, series
from rtspike.reports.compare import compare_runs
from rtspike.reports.gates import Status
from rtspike.reports.handoff import handoff_context, load_spec, names, servers
from rtspike.reports.loader import Run, load_run, walk
from rtspike.reports.rubric import TAG_LABELS
from rtspike.reports.scoring import Layer, Matrix, Rubric, load_rubric
from rtspike.reports.sensitivity import Sensitivity, analyse
from rtspike.reports.summary import write_summary
from rtspike.reports.verdict import Verdict, decide, subset

log = structlog.get_logger("rtspike.reports")
TEMPLATES = Path(__file__).with_name("templates")
DASH = "\u2013"
ORDER = [
    "handshake",
    "latency",
    "fanout",
    "connections",
    "isolation",
    "reconnect",
    "revocation",
    "bidirectional",
    "multinode",
    "bundle",
    "effort",
]
BARS: dict[str, tuple[list[str], str]] = {
    "handshake": (["connect_p50_ms", "connect_p95_ms", "connect_p99_ms"], "ms"),
    "connections": (["rss_per_connection_kb"], "KB"),
    "reconnect": (["time_to_degraded_s", "outage_s", "time_to_recovered_s"], "s"),
    "revocation": (["revoke_to_close_p50_ms", "revoke_to_close_max_ms"], "ms"),
    "bidirectional": (["send_ack_p50_ms", "send_ack_p99_ms"], "ms"),
    "multinode": (["cross_node_p50_ms", "cross_node_p99_ms"], "ms"),
    "bundle": (
        ["gzip_bytes", "gzip_added_bytes", "react_gzip_added_bytes", "react_brotli_added_bytes"],
        "bytes",
    ),
    "effort": (["server_loc", "client_loc"], "lines"),
}


@dataclass
class Scenario:
    name: str
    text: str
    rows: list[dict[str, Any]]
    charts: list[str]
    histograms: list[dict[str, object]]
    aggregations: list[dict[str, Any]] = field(default_factory=list)


def num(value: Any, digits: int = 3) -> str:
    """Readable figures: thousands separators, ~3 significant digits, never "nan"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return DASH
    if v == int(v) and abs(v) >= 1:
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def scenarios(run: Run, text: dict[str, str]) -> list[Scenario]:
    order = run.transports
    rows = run.summary_rows()
    names = sorted(run.scenarios, key=lambda s: (ORDER.index(s) if s in ORDER else 99, s))
    out = []
    for name in names:
        part = rows[rows["scenario"] == name]
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for r in part.itertuples(index=False):
            info = run.catalog.get((name, str(r.metric)), {})
            row = table.setdefault(
                (str(r.metric), str(r.case)),
                {
                    "metric": r.metric,
                    "case": r.case,
                    "unit": r.unit,
                    "cells": {},
                    "better": info.get("better", ""),
                    "description": info.get("description", ""),
                },
            )
            row["cells"][r.transport] = {
                "value": r.value,
                "spread": r.spread,
                "valid": bool(r.valid),
                "note": r.note,
                "repeats": run.repeats(name, str(r.transport), str(r.metric), str(r.case)),
            }
        svgs: list[str | None] = []
        hist = run.histograms[run.histograms["scenario"] == name]
        cases = sorted(set(hist["case"].astype(str)) - {""}) if len(hist) else []
        merged_cases = f" (cases merged: {', '.join(cases)})" if len(cases) > 1 else ""
        svgs.append(charts.latency_chart(hist, order, f"{name}: latency percentiles{merged_cases}"))
        svgs += charts.series_charts(run.series[run.series["scenario"] == name], order, name)
        tl = run.timelines[run.timelines["scenario"] == name]
        for case, g in tl.groupby("case", sort=False):
            svgs.append(charts.timeline_chart(g, order, f"{name}: {case or 'timeline'}"))
        if name in BARS:
            metrics, unit = BARS[name]
            svgs.append(charts.metric_bars(part, metrics, order, name, unit))
        merged = charts.histogram_table(hist) if len(hist) else []
        out.append(
            Scenario(
                name,
                text.get(name, ""),
                list(table.values()),
                [s for s in svgs if s],
                merged,
                aggregations(part, merged),
            )
        )
    return out


def aggregations(part: pd.DataFrame, merged: list[dict[str, object]]) -> list[dict[str, Any]]:
    """Where the median of the repeats' own p99 and the merged histogram's p99 differ by more
    than 10%: the report says which is which instead of showing two numbers without a word."""
    out = []
    p99 = part[part["metric"].astype(str).str.endswith("_p99_ms") & part["valid"]]
    for h in merged:
        mine = p99[p99["transport"] == h["transport"]]
        if mine.empty:
            continue
        median = float(mine["value"].max())
        pooled = float(h["p99"])  # type: ignore[arg-type]
        if median > 0 and abs(pooled - median) / median > 0.10:
            out.append(
                {
                    "transport": h["transport"],
                    "metric": str(mine["metric"].iloc[0]),
                    "median": median,
                    "merged": pooled,
                }
            )
    return out


def rationale(
    matrix: Matrix, rubric: Rubric, winner: str, runner_up: str | None
) -> dict[str, list[str]]:
    """Where the winner leads and trails the runner-up, by weighted score difference."""
    scores = matrix.scores()
    leads: list[tuple[float, str]] = []
    trails: list[tuple[float, str]] = []
    if runner_up is None:
        return {"leads": [], "trails": []}
    for c in rubric.criteria:
        mine, theirs = scores[winner][c.key], scores[runner_up][c.key]
        if mine is None or theirs is None:
            continue
        gap = mine - theirs
        line = f"{c.label} ({mine:.2f} vs {runner_up} {theirs:.2f})"
        if gap > 0.05:
            leads.append((gap * c.weight, line))
        elif gap < -0.05:
            trails.append((-gap * c.weight, line))
    return {
        "leads": [s for _, s in sorted(leads, reverse=True)],
        "trails": [s for _, s in sorted(trails, reverse=True)],
    }


def environment(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for path, value in walk({k: v for k, v in manifest.items() if k != "catalog"}):
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((".".join(path), shown))
    return rows


def clients(manifest: dict[str, Any]) -> dict[str, str]:
    """Which client each transport's load used; flat or per role ({role: description})."""
    found = manifest.get("clients") or {}
    if not isinstance(found, dict):
        return {}
    return {
        str(t): "; ".join(f"{k}: {v}" for k, v in c.items()) if isinstance(c, dict) else str(c)
        for t, c in found.items()
    }


def loadtest(run: Run) -> dict[str, Any] | None:
    if run.loadtest is None:
        return None
    tables = {
        name: frame.fillna("").to_dict("records") for name, frame in run.loadtest.stats.items()
    }
    hist = run.loadtest.histograms
    return {
        "folder": run.loadtest.folder.name,
        "tables": tables,
        "histograms": charts.histogram_table(hist) if len(hist) else [],
        "chart": charts.latency_chart(hist, run.transports, "Locust: push latency"),
    }


def context(run: Run, rubric: Rubric, other: Run | None = None) -> dict[str, Any]:
    verdict: Verdict = decide(run, rubric)
    matrix = verdict.matrix
    weights = rubric.weights
    mass = sum(weights.values())
    combined = verdict.layers[Layer.COMBINED]
    winner = verdict.winner
    pool = subset(matrix, verdict.eligible)
    sens: Sensitivity = analyse(pool, weights, rubric.verdict)
    spec = load_spec()
    labels = {c.key: c.label for c in rubric.criteria}
    diffs = compare_runs(run, other) if other is not None else None
    other_verdict = decide(other, rubric) if other is not None else None
    handoffs = handoff_context(run, winner)
    return {
        "run": run,
        "rubric": rubric,
        "matrix": matrix,
        "verdict": verdict,
        "layers": verdict.layers,
        "Layer": Layer,
        "Status": Status,
        "tags": TAG_LABELS,
        "totals": combined.totals,
        "winner": winner,
        "ranked": combined.ranked,
        "weights": {k: w / mass for k, w in weights.items()},
        "labels": labels,
        "sens": sens,
        "sens_rows": {k: [o for o in sens.one_at_a_time if o.criterion == k] for k in weights},
        "excluded": {t: [labels[k] for k in matrix.excluded(t)] for t in matrix.transports},
        "why": rationale(matrix, rubric, winner, verdict.runner_up)
        if winner
        else {"leads": [], "trails": []},
        "score_chart": charts.score_breakdown(matrix, weights, labels),
        "wins_chart": charts.win_share_chart(combined.win, matrix.transports),
        "scenarios": scenarios(run, spec.get("scenario_text", {})),
        "facts": rubric.facts,
        **handoffs,
        **adr_context(
            run,
            verdict,
            weights,
            labels,
            {t: combined.shown(t) for t in matrix.transports},
            handoffs["handoffs"].lines,
            names([*spec["transports"], *run.transports], short=True, spec=spec),
        ),
        "servers": servers(run.transports, spec),
        "non_goals": spec.get("non_goals", []),
        "environment": environment(run.manifest),
        "loadtest": loadtest(run),
        "compare": diffs,
        "other": other,
        "other_winner": other_verdict.winner if other_verdict else None,
        "other_outcome": other_verdict.outcome.value if other_verdict else "",
        "other_totals": other_verdict.layers[Layer.COMBINED].totals if other_verdict else {},
        "clients": clients(run.manifest),
        "invalid": int((~run.metrics["valid"]).sum()),
        "invalid_rows": invalid_rows(run),
        **peers.context(run),
    }


def invalid_rows(run: Run) -> list[dict[str, str]]:
    """Each invalid row with its own note (what went wrong there, not a fixed string)."""
    m = run.metrics
    bad = m[~m["valid"] & (m["repeat"] == -1)]
    return [
        {
            "where": f"{r.scenario} · {r.transport}" + (f" [{r.case}]" if r.case else ""),
            "metric": str(r.metric),
            "note": str(r.note) or "flagged invalid, no note recorded",
        }
        for r in bad.itertuples(index=False)
    ]


def render_html(run: Run, rubric: Rubric, other: Run | None = None) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = num
    env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
    env.filters["series"] = series
    env.filters["pct"] = lambda v: DASH if v is None else f"{v * 100:.1f}%"
    env.tests["missing"] = lambda v: v is None or (isinstance(v, float) and pd.isna(v))
    return env.get_template("report.html.j2").render(**context(run, rubric, other))


def render_report(
    results_dir: Path,
    weights: Path | None = None,
    compare: Path | None = None,
    out: Path | None = None,
) -> Path:
    """Write `report.html` into the results folder (or ``out``) and return its path."""
    run = load_run(Path(results_dir))
    other = load_run(Path(compare)) if compare is not None else None
    rubric = load_rubric(weights)
    html = render_html(run, rubric, other)
    target = Path(out) if out is not None else run.folder / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    write_summary(target.parent, run, rubric)
    log.info("report.rendered", run=run.run_id, path=str(target), bytes=len(html))
    return target

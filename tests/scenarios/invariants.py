"""Checks shared by the scenario tests: the results folder schema and the zero-loss /
zero-leak invariants, read back from the files (what the report reads)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rtspike.scenarios.results import HISTOGRAM_COLUMNS, METRICS_COLUMNS, SERIES_COLUMNS

MUST_BE_ZERO = {
    ("latency", "lost"),
    ("latency", "duplicated"),
    ("latency", "reordered"),
    ("fanout", "lost"),
    ("fanout", "duplicated"),
    ("multinode", "lost"),
    ("multinode", "duplicated"),
    ("reconnect", "lost"),
    ("reconnect", "duplicated"),
    ("isolation", "leaks"),
    ("isolation", "missing"),
    ("revocation", "still_open_after_5s"),
}


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open() as fh:
        return list(csv.DictReader(fh))


def problems(folder: Path) -> list[str]:
    found: list[str] = []
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("schema_version", "profile", "environment", "versions", "git", "catalog"):
        if key not in manifest:
            found.append(f"manifest lacks {key}")
    with (folder / "metrics.csv").open() as fh:
        if next(csv.reader(fh)) != METRICS_COLUMNS:
            found.append("metrics.csv header differs from the schema")
    with (folder / "series.csv").open() as fh:
        if next(csv.reader(fh)) != SERIES_COLUMNS:
            found.append("series.csv header differs from the schema")
    with (folder / "histograms.csv").open() as fh:
        if next(csv.reader(fh)) != HISTOGRAM_COLUMNS:
            found.append("histograms.csv header differs from the schema")
    for r in rows(folder, "metrics.csv"):
        key = (r["scenario"], r["metric"])
        if r["metric"] == "error":
            found.append(f"{r['scenario']}/{r['transport']} failed: {r['note']}")
        if key in MUST_BE_ZERO and float(r["value"]) != 0:
            found.append(
                f"{r['scenario']}/{r['transport']}/{r['case']}: {r['metric']}={r['value']}"
            )
    return found

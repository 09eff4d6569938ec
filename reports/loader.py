"""Read one results folder (the schema `scenarios` writes) without importing `scenarios`.

The folder is the contract: manifest.json plus tidy CSV tables. Everything the report shows is
derived from these files, so a folder copied to another machine renders the same report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SUMMARY = -1
TABLES = {
    "metrics": [
        "scenario",
        "transport",
        "case",
        "metric",
        "value",
        "unit",
        "repeat",
        "spread",
        "valid",
        "note",
        "bound",
    ],
    "series": ["scenario", "transport", "case", "x_name", "x", "y_name", "y", "unit"],
    "timelines": ["scenario", "transport", "case", "t_s", "kind", "value"],
    "histograms": ["scenario", "transport", "case", "name", "unit", "encoded"],
}
NUMERIC = {"metrics": ["value", "spread", "repeat"], "series": ["x", "y"], "timelines": ["t_s"]}


class ResultsError(Exception):
    """The folder cannot be read; the message says what the user should do."""


@dataclass
class Loadtest:
    """Locust output found in `<run>/loadtest/`: its stats tables and merged histograms."""

    folder: Path
    stats: dict[str, pd.DataFrame] = field(default_factory=dict)
    histograms: pd.DataFrame = field(default_factory=lambda: _empty("histograms"))


@dataclass
class Run:
    folder: Path
    manifest: dict[str, Any]
    metrics: pd.DataFrame
    series: pd.DataFrame
    timelines: pd.DataFrame
    histograms: pd.DataFrame
    loadtest: Loadtest | None = None

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.folder.name)

    @property
    def transports(self) -> list[str]:
        """Manifest order when given (the bench's order), else first appearance in metrics."""
        listed = self.manifest.get("transports")
        seen = list(dict.fromkeys(self.metrics["transport"].tolist()))
        if isinstance(listed, list) and listed:
            return [str(t) for t in listed] + [t for t in seen if t not in listed]
        return seen

    @property
    def scenarios(self) -> list[str]:
        frames = (self.metrics, self.series, self.timelines, self.histograms)
        return list(dict.fromkeys(s for f in frames for s in f["scenario"].tolist()))

    @property
    def catalog(self) -> dict[tuple[str, str], dict[str, str]]:
        entries = self.manifest.get("catalog") or []
        return {(str(e["scenario"]), str(e["metric"])): e for e in entries if isinstance(e, dict)}

    def better(self, scenario: str, metric: str) -> str:
        return str(self.catalog.get((scenario, metric), {}).get("better", "lower"))

    def summary_rows(self) -> pd.DataFrame:
        """One row per (scenario, transport, case, metric): the summary row the bench wrote, or
        the median of its repeats when it wrote none."""
        m = self.metrics
        summary = m[m["repeat"] == SUMMARY]
        keys = ["scenario", "transport", "case", "metric"]
        have = set(map(tuple, summary[keys].itertuples(index=False, name=None)))
        extra = []
        for key, group in m[m["repeat"] != SUMMARY].groupby(keys, sort=False):
            if tuple(key) in have:
                continue
            good = group[group["valid"]]
            use = good if len(good) else group
            extra.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "value": use["value"].median(),
                    "unit": group["unit"].iloc[0],
                    "repeat": SUMMARY,
                    "spread": use["value"].max() - use["value"].min(),
                    "valid": bool(len(good)),
                    "note": group["note"].iloc[0],
                    "bound": group["bound"].iloc[0],
                }
            )
        if extra:
            summary = pd.concat([summary, pd.DataFrame(extra)], ignore_index=True)
        return summary.reset_index(drop=True)

    def repeats(self, scenario: str, transport: str, metric: str, case: str) -> int:
        m = self.metrics
        mask = (
            (m["scenario"] == scenario)
            & (m["transport"] == transport)
            & (m["metric"] == metric)
            & (m["case"] == case)
            & (m["repeat"] >= 0)
        )
        return int(mask.sum())


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[table]})


def read_table(path: Path, table: str) -> pd.DataFrame:
    """Strings stay strings (an empty case is ""), numbers and the valid flag are typed."""
    if not path.exists():
        return _empty(table)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in TABLES[table]:
        if col not in frame:
            frame[col] = ""
    for col in NUMERIC.get(table, []):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    if table == "metrics":
        frame["repeat"] = frame["repeat"].fillna(SUMMARY).astype(int)
        frame["valid"] = frame["valid"].str.strip().str.lower().isin(["true", "1", "yes", ""])
        frame = frame[frame["value"].notna()]
    return frame.reset_index(drop=True)


def load_run(folder: Path) -> Run:
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(
            f"{folder} is not a results folder: run `make bench` first, "
            "or pass the path of a folder under reports/out/"
        )
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ResultsError(
            f"{folder} has no manifest.json: it is not a results folder written "
            "by `rtspike bench`; run `make bench` to produce one"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{manifest_path} is not valid JSON ({exc}); re-run `make bench`"
        ) from exc
    run = Run(folder, manifest, *(read_table(folder / f"{t}.csv", t) for t in TABLES))
    run.loadtest = load_loadtest(folder / "loadtest")
    return run


def load_loadtest(folder: Path) -> Loadtest | None:
    if not folder.is_dir():
        return None
    found = Loadtest(folder)
    for path in sorted(folder.glob("*_stats.csv")):
        found.stats[path.name.removesuffix("_stats.csv")] = pd.read_csv(path)
    found.histograms = read_table(folder / "histograms.csv", "histograms")
    extra = [
        {
            "scenario": "loadtest",
            "transport": p.stem,
            "case": "",
            "name": p.stem,
            "unit": "us",
            "encoded": p.read_text().strip(),
        }
        for p in sorted(folder.glob("*.hdr"))
    ]
    if extra:
        found.histograms = pd.concat([found.histograms, pd.DataFrame(extra)], ignore_index=True)
    return found


def newest_run(out_dir: Path) -> Path:
    """The most recently written results folder (by manifest time, then name)."""
    runs = [p for p in Path(out_dir).glob("*/manifest.json")] if Path(out_dir).is_dir() else []
    if not runs:
        raise ResultsError(
            f"no results yet in {out_dir}: run `make bench` (or `rtspike bench`) "
            "first, then `rtspike report`"
        )
    newest = max(runs, key=lambda p: (p.stat().st_mtime, p.parent.name))
    return newest.parent


def walk(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from walk(value, (*path, str(key)))
    else:
        yield path, data


def find_version(manifest: Mapping[str, Any], package: str) -> str | None:
    """Exact version of a package wherever the manifest recorded it (python or npm sections);
    names compare case-insensitively with `-`/`_` treated alike, as pip does."""
    want = package.lower().replace("_", "-")
    for path, value in walk(manifest):
        if path and path[-1].lower().replace("_", "-") == want and isinstance(value, str | int):
            return str(value)
    return None

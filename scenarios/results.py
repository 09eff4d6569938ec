"""The results folder: the only thing `scenarios` hands to `reports`.

reports/out/<run-id>/
  manifest.json     environment, versions, settings, profile, which client each transport used
  metrics.csv       tidy: one row per (scenario, transport, case, metric, repeat)
  series.csv        curves: one row per point (fan-out capacity, RSS vs connections, ...)
  timelines.csv     reconnect timelines: state changes and message arrivals over time
  histograms.csv    HdrHistogram (microseconds), base64-encoded, one row per scenario/transport/case
  handoff.json      the hand-off as measured: whole code excerpts, locked npm versions, test
                    counts (scenarios/handoff.py, written by `rtspike bench`)
  report.html       rendered by `rtspike report` from the files above alone

``repeat`` is 0..n-1 for individual repeats and -1 for the summary row (median of repeats);
``spread`` on the summary row is (max - min) across repeats. ``valid`` is False when the load
generator saturated (its CPU or event-loop lag crossed the limit): such a figure is reported
but not used for scoring; ``note`` says why. ``bound`` marks a value that is a limit rather
than a measurement: "at_least" for a timeout (a client that never recovered: the report scores
it as a failure) or for a capped figure (capacity that never crossed the objective within the
profile's largest team: shown as a lower bound, not scored); "at_most" the other way round.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
OUT_DIR = Path("reports") / "out"
"""Where results go, relative to the directory the user runs rtspike in (never the package)."""


def default_root() -> Path:
    """``./reports/out`` under the current directory: the one place every command looks."""
    return Path.cwd() / OUT_DIR


SUMMARY = -1
AT_LEAST = "at_least"
AT_MOST = "at_most"

METRICS_COLUMNS = [
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
]
SERIES_COLUMNS = ["scenario", "transport", "case", "x_name", "x", "y_name", "y", "unit"]
TIMELINE_COLUMNS = ["scenario", "transport", "case", "t_s", "kind", "value"]
HISTOGRAM_COLUMNS = ["scenario", "transport", "case", "name", "unit", "encoded"]


@dataclass
class MetricRow:
    scenario: str
    transport: str
    metric: str
    value: float
    unit: str
    case: str = ""
    repeat: int = SUMMARY
    spread: float | None = None
    valid: bool = True
    note: str = ""
    bound: str = ""  # "" | AT_LEAST | AT_MOST: the value is a limit, not a measurement


@dataclass
class SeriesRow:
    scenario: str
    transport: str
    x_name: str
    x: float
    y_name: str
    y: float
    unit: str = ""
    case: str = ""


@dataclass
class TimelineRow:
    scenario: str
    transport: str
    case: str
    t_s: float
    kind: str  # "state" (value = connecting|connected|degraded|disconnected) or "message"
    value: str


@dataclass
class HistogramRow:
    scenario: str
    transport: str
    name: str
    encoded: str
    unit: str = "us"
    case: str = ""


@dataclass
class Results:
    """Accumulates rows in memory; ``write`` puts them in the folder."""

    metrics: list[MetricRow] = field(default_factory=list)
    series: list[SeriesRow] = field(default_factory=list)
    timelines: list[TimelineRow] = field(default_factory=list)
    histograms: list[HistogramRow] = field(default_factory=list)

    def add_repeats(
        self,
        scenario: str,
        transport: str,
        metric: str,
        values: list[float],
        unit: str,
        case: str = "",
        valid: Iterable[bool] | None = None,
        note: str = "",
        bound: str = "",
        bounds: Iterable[str] | None = None,
    ) -> MetricRow:
        """One row per repeat plus the summary row (median, spread) that the report scores.
        ``bounds`` marks single repeats (a timeout among measurements); the summary carries
        the first one."""
        flags = list(valid) if valid is not None else [True] * len(values)
        each = list(bounds) if bounds is not None else [bound] * len(values)
        bound = bound or next((b for b in each if b), "")
        for i, (v, ok, b) in enumerate(zip(values, flags, each, strict=True)):
            self.metrics.append(
                MetricRow(scenario, transport, metric, v, unit, case, i, None, ok, note, b)
            )
        good = [v for v, ok in zip(values, flags, strict=True) if ok] or values
        summary = MetricRow(
            scenario,
            transport,
            metric,
            statistics.median(good),
            unit,
            case,
            SUMMARY,
            max(good) - min(good) if good else 0.0,
            any(flags),
            note,
            bound,
        )
        self.metrics.append(summary)
        return summary

    def add(
        self,
        scenario: str,
        transport: str,
        metric: str,
        value: float,
        unit: str,
        case: str = "",
        valid: bool = True,
        note: str = "",
        bound: str = "",
    ) -> MetricRow:
        row = MetricRow(
            scenario, transport, metric, value, unit, case, SUMMARY, None, valid, note, bound
        )
        self.metrics.append(row)
        return row

    def write(self, folder: Path, manifest: Mapping[str, Any]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").write_text(
            json.dumps({"schema_version": SCHEMA_VERSION, **manifest}, indent=2, default=str)
        )
        _write_csv(folder / "metrics.csv", METRICS_COLUMNS, self.metrics)
        _write_csv(folder / "series.csv", SERIES_COLUMNS, self.series)
        _write_csv(folder / "timelines.csv", TIMELINE_COLUMNS, self.timelines)
        _write_csv(folder / "histograms.csv", HISTOGRAM_COLUMNS, self.histograms)
        return folder


def _write_csv(path: Path, columns: list[str], rows: Iterable[Any]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            data = asdict(row)
            writer.writerow({c: "" if data.get(c) is None else data.get(c) for c in columns})

"""The ratio tables of `rtspike bench peers`, printed and written beside the results
(``peers.txt``), so that the figures a note quotes are the ones the run wrote."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rtspike.console import console
from rtspike.scenarios.benches.peers import NAME, RTSPIKE, Target

Ratios = dict[tuple[str, str], dict[str, tuple[float, float]]]
COLUMNS = (
    ("cpu_ratio", "CPU/deliv"),
    ("throughput_ratio", "deliv/s"),
    ("open_cpu_ratio", "CPU open"),
    ("p50_ratio", "p50"),
    ("p99_ratio", "p99"),
    ("p999_ratio", "p99.9"),
)
ABSOLUTE = (
    ("server_us_per_delivery", "CPU us/deliv", "{:.2f}"),
    ("deliveries_per_s", "deliv/s", "{:,.0f}"),
    ("open_server_us_per_delivery", "open CPU us", "{:.2f}"),
    ("latency_p50_ms", "p50 ms", "{:.1f}"),
    ("latency_p99_ms", "p99 ms", "{:.1f}"),
    ("latency_p999_ms", "p99.9 ms", "{:.1f}"),
    ("missing", "missing", "{:.0f}"),
)


def _cell(row: dict[str, tuple[float, float]], metric: str) -> str:
    if metric not in row:
        return "-"
    value, spread = row[metric]
    return f"{value:.2f} ±{spread / 2:.2f}"


def _summaries(folder: Path) -> list[dict[str, str]]:
    with (folder / "metrics.csv").open() as fh:
        return [
            r
            for r in csv.DictReader(fh)
            if r["scenario"] == NAME and r["repeat"] == "-1" and not r["case"].startswith("vs ")
        ]


def ratio_table(table: Ratios, targets: list[Target]) -> Table:
    """Same protocol pairs (and each transport vs its tail reference)."""
    by = {t.name: t for t in targets}
    out = Table(title="rtspike / bare library, same run: median of per-round ratios ± half spread")
    for col in ("rtspike", "vs", *[c[1] for c in COLUMNS]):
        out.add_column(col, justify="right")
    for (ours, other), row in table.items():
        if by[other].receiver == by[ours].receiver or by[other].peer is None:
            out.add_row(ours, other, *[_cell(row, m) for m, _ in COLUMNS])
    return out


def cross_table(table: Ratios, targets: list[Target]) -> Table:
    own = [t.name for t in targets if t.peer is None]
    out = Table(title="server CPU per delivery: every rtspike transport / every baseline")
    out.add_column("baseline")
    for o in own:
        out.add_column(o, justify="right")
    for t in targets:
        if t.peer is not None:
            out.add_row(t.name, *[_cell(table.get((o, t.name), {}), "cpu_ratio") for o in own])
    return out


def absolute_table(folder: Path, targets: list[Target]) -> tuple[Table, int]:
    """Median of rounds per target, and the total of deliveries that never arrived."""
    rows = _summaries(folder)
    out = Table(title="absolute figures (median of rounds)")
    for col in ("target", "what", *[c[1] for c in ABSOLUTE]):
        out.add_column(col, justify="right")
    missing = 0
    for t in targets:
        case = RTSPIKE if t.peer is None else t.name
        got = {
            r["metric"]: float(r["value"])
            for r in rows
            if r["case"] == case and r["transport"] == t.receiver
        }
        missing += int(got.get("missing", 0))
        cells = [fmt.format(got.get(m, float("nan"))) for m, _, fmt in ABSOLUTE]
        out.add_row(t.name, t.label, *cells)
    return out, missing


def print_table(folder: Path, table: Ratios, targets: list[Target]) -> int:
    absolute, missing = absolute_table(folder, targets)
    tables = (ratio_table(table, targets), cross_table(table, targets), absolute)
    with (folder / "peers.txt").open("w") as fh:
        to_file = Console(file=fh, width=160, color_system=None)
        for t in tables:
            to_file.print(t)
    for t in tables:
        console.print(t)
    console.print(f"results: {folder} (tables in peers.txt)", markup=False)
    return 0 if missing == 0 else 1

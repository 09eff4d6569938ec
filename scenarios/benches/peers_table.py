"""The ratio table of `rtspike bench peers`, printed and written beside the results
(``peers.txt``), so the figures a note quotes are the ones the run wrote."""

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


def _cell(row: dict[str, tuple[float, float]], metric: str) -> str:
    if metric not in row:
        return "-"
    value, spread = row[metric]
    return f"{value:.2f} ±{spread / 2:.2f}"


def _absolute(folder: Path) -> list[dict[str, str]]:
    with (folder / "metrics.csv").open() as fh:
        return [
            r
            for r in csv.DictReader(fh)
            if r["scenario"] == NAME and r["repeat"] == "-1" and not r["case"].startswith("vs ")
        ]


def build(folder: Path, table: Ratios, targets: list[Target]) -> tuple[Table, Table, int]:
    by = {t.name: t for t in targets}
    ratios = Table(
        title="rtspike / bare library, same run (median of per-round ratios ± half the spread)"
    )
    for col in ("rtspike", "vs", *[c[1] for c in COLUMNS]):
        ratios.add_column(col, justify="right")
    for (ours, other), row in table.items():
        if by[other].receiver != by[ours].receiver and other != "ws":
            continue
        ratios.add_row(ours, by[other].label, *[_cell(row, m) for m, _ in COLUMNS])
    absolute = Table(title="absolute figures (median of rounds)")
    for col in ("target", "CPU us/deliv", "deliv/s", "p50 ms", "p99 ms", "p99.9 ms", "missing"):
        absolute.add_column(col, justify="right")
    rows = _absolute(folder)
    missing = 0
    for t in targets:
        case = RTSPIKE if t.peer is None else t.name
        got = {r["metric"]: float(r["value"]) for r in rows if r["case"] == case and r["transport"] == t.receiver}
        missing += int(got.get("missing", 0))
        absolute.add_row(
            t.label,
            f"{got.get('server_us_per_delivery', float('nan')):.1f}",
            f"{got.get('deliveries_per_s', float('nan')):,.0f}",
            f"{got.get('latency_p50_ms', float('nan')):.1f}",
            f"{got.get('latency_p99_ms', float('nan')):.1f}",
            f"{got.get('latency_p999_ms', float('nan')):.1f}",
            f"{got.get('missing', 0):.0f}",
        )
    cross = Table(title="server CPU per delivery, every rtspike transport / every baseline")
    own = [t.name for t in targets if t.peer is None]
    cross.add_column("baseline")
    for o in own:
        cross.add_column(o, justify="right")
    for t in targets:
        if t.peer is not None:
            cross.add_row(t.label, *[_cell(table.get((o, t.name), {}), "cpu_ratio") for o in own])
    return ratios, absolute, missing, cross  # type: ignore[return-value]


def print_table(folder: Path, table: Ratios, targets: list[Target]) -> int:
    ratios, absolute, missing, cross = build(folder, table, targets)  # type: ignore[misc]
    with (folder / "peers.txt").open("w") as fh:
        file_console = Console(file=fh, width=140, color_system=None)
        for t in (ratios, cross, absolute):
            file_console.print(t)
    for t in (ratios, cross, absolute):
        console.print(t)
    console.print(f"results: {folder}  (table in peers.txt)", markup=False)
    return 0 if missing == 0 else 1

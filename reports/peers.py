"""The report's "bare library" section, from the ``peers`` rows of metrics.csv alone.

Two readings of the same same-run ratios, per rtspike transport: what the production core
(auth, team policy, durable log, bounds) costs over the bare library doing the obvious fan-out,
and what the stock library path (the one a team writing ``sio.emit(to=room)`` or a
``send_str`` loop gets) costs next to ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtspike.reports.loader import Run

SCENARIO = "peers"
STOCK_NOTE = "stock library path"
RATIOS = ("cpu_ratio", "throughput_ratio", "p50_ratio", "p99_ratio", "p999_ratio")


@dataclass
class Comparison:
    baseline: str
    label: str
    stock: bool
    ratios: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class PeersView:
    by_transport: dict[str, list[Comparison]]
    repeats: int


def peers_view(run: Run) -> PeersView | None:
    """None when the run has no ``peers`` rows (the section then says it was not run)."""
    rows = run.summary_rows()
    part = rows[rows["scenario"] == SCENARIO]
    if part.empty:
        return None
    labels: dict[str, tuple[str, str]] = {}  # baseline -> (label, the protocol it serves)
    for r in part[~part["case"].astype(str).str.startswith("vs ")].itertuples(index=False):
        labels[str(r.case)] = (str(r.note), str(r.transport))
    out: dict[str, list[Comparison]] = {}
    found: dict[tuple[str, str], Comparison] = {}
    for r in part[part["case"].astype(str).str.startswith("vs ")].itertuples(index=False):
        other = str(r.case)[3:]
        key = (str(r.transport), other)
        label, protocol = labels.get(other, (f"rtspike {other}", str(r.transport)))
        if protocol != str(r.transport):
            continue  # cross-protocol CPU ratios stay in metrics.csv and peers.txt
        if key not in found:
            found[key] = Comparison(other, label, STOCK_NOTE in str(r.note))
            out.setdefault(str(r.transport), []).append(found[key])
        if str(r.metric) in RATIOS:
            spread = 0.0 if r.spread != r.spread else float(r.spread)
            found[key].ratios[str(r.metric)] = (float(r.value), spread)
    all_rows = run.metrics[run.metrics["scenario"] == SCENARIO]
    repeats = int(all_rows["repeat"].max()) + 1 if len(all_rows) else 0
    return PeersView(out, repeats)


def context(run: Run) -> dict[str, Any]:
    return {"peers": peers_view(run)}

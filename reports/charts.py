"""Charts as inline SVG strings (matplotlib, Agg), so the report is one offline file.

Each function returns None when the folder holds nothing to draw, and the template says
"not measured" instead of showing an empty axis.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from hdrh.histogram import HdrHistogram
from matplotlib.figure import Figure

from rtspike.reports.scoring import Matrix

# One colour per transport, handed out in name order so a transport keeps its colour in every
# chart of a report (the report knows transports only from the results it reads).
PALETTE = ["#3b5bdb", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#1098ad", "#5c940d"]
UNKNOWN = "#495057"
STATES = {
    "connected": "#51cf66",
    "connecting": "#ffd43b",
    "degraded": "#ff922b",
    "disconnected": "#fa5252",
}
PERCENTILES = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99]
STYLE: Any = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e9ecef",
    "axes.edgecolor": "#adb5bd",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "font.family": ["DejaVu Sans", "sans-serif"],
}


def color(transport: str, order: list[str]) -> str:
    names = sorted(set(order))
    return PALETTE[names.index(transport) % len(PALETTE)] if transport in names else UNKNOWN


def to_svg(fig: Figure, salt: str, wide: bool = False) -> str:
    """Inline-ready SVG: no XML prolog, namespaces or metadata (no URL in the page), and ids
    salted per chart so several SVGs in one document never share an id."""
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    css = "chart wide" if wide else "chart"
    return svg.replace("<svg ", f'<svg class="{css}" role="img" ', 1)


def figure(
    width: float = 7.0, height: float = 3.0, ncols: int = 1, nrows: int = 1
) -> tuple[Figure, list]:
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained"
        )
    return fig, list(axes.ravel())


def merged_histograms(frame: pd.DataFrame) -> dict[str, HdrHistogram]:
    """Per transport, every case merged: percentiles come from counts, never from averages."""
    merged: dict[str, HdrHistogram] = {}
    for row in frame.itertuples(index=False):
        h = HdrHistogram.decode(str(row.encoded))
        if row.transport in merged:
            merged[row.transport].add(h)
        else:
            merged[row.transport] = h
    return merged


def histogram_table(frame: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for t, h in merged_histograms(frame).items():
        unit = 1000.0  # microseconds -> ms
        rows.append(
            {
                "transport": t,
                "count": h.get_total_count(),
                **{f"p{p:g}": h.get_value_at_percentile(p) / unit for p in (50, 90, 99, 99.9)},
                "max": h.get_max_value() / unit,
            }
        )
    return rows


def latency_chart(frame: pd.DataFrame, order: list[str], title: str) -> str | None:
    if frame.empty:
        return None
    fig, (ax,) = figure(5.6, 3.2)
    with plt.rc_context(STYLE):
        xs = [1 / (1 - p / 100) for p in PERCENTILES]
        for t, h in merged_histograms(frame).items():
            ys = [h.get_value_at_percentile(p) / 1000.0 for p in PERCENTILES]
            ax.plot(
                xs,
                ys,
                marker="o",
                ms=3,
                lw=1.8,
                color=color(t, order),
                label=f"{t} (n={h.get_total_count():,})",
            )
        ax.set_xscale("log")
        ticks = [50.0, 90.0, 99.0, 99.9, 99.99]
        ax.set_xticks([1 / (1 - p / 100) for p in ticks], [f"p{p:g}" for p in ticks])
        ax.minorticks_off()
        ax.set_ylabel("latency (ms)")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left")
    return to_svg(fig, f"lat-{title}")


def series_charts(frame: pd.DataFrame, order: list[str], title: str) -> list[str]:
    """One chart per y quantity (e.g. p95 latency and deliveries/s against team size)."""
    out = []
    for name in dict.fromkeys(frame["y_name"]):
        part = frame[frame["y_name"] == name]
        fig, (ax,) = figure(5.6, 3.0)
        with plt.rc_context(STYLE):
            for (t, case), g in part.groupby(["transport", "case"], sort=False):
                g = g.sort_values("x")
                ax.plot(
                    g["x"],
                    g["y"],
                    marker="o",
                    ms=3,
                    lw=1.8,
                    color=color(str(t), order),
                    label=f"{t} {case}".strip(),
                    ls="-" if not case else "--",
                )
            unit = part["unit"].iloc[0]
            label = str(name).replace("_", " ")
            ax.set_xlabel(str(part["x_name"].iloc[0]).replace("_", " "))
            shown = unit and not label.lower().endswith(str(unit).lower())
            ax.set_ylabel(label + (f" ({unit})" if shown else ""))
            ax.set_title(f"{title}: {label}", loc="left")
            ax.legend()
        out.append(to_svg(fig, f"series-{title}-{name}"))
    return out


def timeline_chart(frame: pd.DataFrame, order: list[str], title: str) -> str | None:
    """One lane per transport: state as coloured spans, message arrivals as ticks above."""
    if frame.empty:
        return None
    lanes = [t for t in order if t in set(frame["transport"])] or list(
        dict.fromkeys(frame["transport"])
    )
    fig, (ax,) = figure(9.0, 0.8 + 0.5 * len(lanes))
    end = float(frame["t_s"].max()) if len(frame) else 1.0
    with plt.rc_context(STYLE):
        for i, t in enumerate(lanes):
            part = frame[frame["transport"] == t].sort_values("t_s")
            states = part[part["kind"] == "state"]
            times = [*states["t_s"].tolist(), end]
            for (start, value), stop in zip(
                zip(states["t_s"], states["value"], strict=True), times[1:], strict=True
            ):
                ax.broken_barh(
                    [(start, max(stop - start, end * 0.003))],
                    (i - 0.05, 0.36),
                    color=STATES.get(value, "#adb5bd"),
                )
            msgs = part[part["kind"] == "message"]["t_s"]
            ax.vlines(msgs, i - 0.34, i - 0.12, color="#343a40", lw=0.6)
        ax.set_yticks([i + 0.13 for i in range(len(lanes))], lanes)
        ax.set_ylim(len(lanes) - 0.55, -0.5)
        ax.set_xlim(0, end * 1.01)
        ax.set_xlabel("seconds since start (bars: client state; ticks: messages received)")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", visible=False)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in STATES.values()]
        ax.legend(handles, list(STATES), loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return to_svg(fig, f"tl-{title}", wide=True)


def short(v: float) -> str:
    if v != v:
        return ""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def metric_bars(
    rows: pd.DataFrame, metrics: list[str], order: list[str], title: str, unit: str = ""
) -> str | None:
    """Grouped bars of summary figures (one group per metric, one bar per transport)."""
    rows = rows[rows["metric"].isin(metrics) & rows["valid"]]
    if rows.empty:
        return None
    metrics = [m for m in metrics if m in set(rows["metric"])]
    lanes = [t for t in order if t in set(rows["transport"])]
    fig, (ax,) = figure(5.6, 3.0)
    width = 0.8 / max(len(lanes), 1)
    with plt.rc_context(STYLE):
        for i, t in enumerate(lanes):
            vals = [
                rows[(rows["transport"] == t) & (rows["metric"] == m)]["value"].max()
                for m in metrics
            ]
            pos = np.arange(len(metrics)) + (i - (len(lanes) - 1) / 2) * width
            bars = ax.bar(pos, np.nan_to_num(vals), width * 0.92, color=color(t, order), label=t)
            ax.bar_label(bars, labels=[short(v) for v in vals], fontsize=7, padding=2)
        ax.set_xticks(range(len(metrics)), [m.replace("_", " ") for m in metrics])
        ax.set_ylabel(unit)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
        ax.set_title(f"{title}: summary figures (median of repeats)", loc="left")
        ax.grid(axis="x", visible=False)
        ax.legend(ncol=len(lanes), loc="upper left")
    return to_svg(fig, f"bars-{title}")


def score_breakdown(matrix: Matrix, weights: Mapping[str, float], labels: Mapping[str, str]) -> str:
    """Stacked weighted contributions; each bar's length is the transport's total."""
    scores = matrix.scores()
    keys = [c.key for c in matrix.criteria]
    cmap = plt.get_cmap("tab10")
    fig, (ax,) = figure(5.2, 1.0 + 0.5 * len(matrix.transports))
    with plt.rc_context(STYLE):
        for i, t in enumerate(matrix.transports):
            have = [k for k in keys if scores[t][k] is not None]
            mass = sum(weights.get(k, 0.0) for k in have) or 1.0
            left = 0.0
            for j, k in enumerate(keys):
                s = scores[t][k]
                if s is None:
                    continue
                part = weights.get(k, 0.0) / mass * s
                ax.barh(
                    i,
                    part,
                    left=left,
                    color=cmap(j % 10),
                    height=0.6,
                    label=labels.get(k, k) if i == 0 else None,
                    edgecolor="white",
                    lw=0.5,
                )
                left += part
            ax.text(left + 0.04, i, f"{left:.2f}", va="center", fontsize=8, fontweight="bold")
        ax.set_yticks(range(len(matrix.transports)), matrix.transports)
        ax.invert_yaxis()
        ax.set_xlim(0, 5.4)
        ax.set_xlabel("weighted score (out of 5)")
        ax.grid(axis="y", visible=False)
        ax.legend(ncol=2, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    return to_svg(fig, "scores")


def win_share_chart(shares: Mapping[str, float], order: list[str]) -> str:
    fig, (ax,) = figure(4.5, 0.6 + 0.35 * len(order))
    with plt.rc_context(STYLE):
        vals = [shares.get(t, 0.0) * 100 for t in order]
        bars = ax.barh(order, vals, color=[color(t, order) for t in order], height=0.6)
        ax.bar_label(bars, labels=[f"{v:.1f}%" for v in vals], fontsize=8, padding=3)
        ax.invert_yaxis()
        ax.set_xlim(0, 112)
        ax.set_xlabel("share of weight samples won")
        ax.grid(axis="y", visible=False)
    return to_svg(fig, "wins")

"""Charts as inline SVG strings (matplotlib, Agg), so the report is one offline file.

Each function returns None when the folder holds nothing to draw, and the template says
"not measured" instead of showing an empty axis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from hdrh.histogram import HdrHistogram

from rtspike.reports.scoring import Matrix
from rtspike.reports.svg import STATES, STYLE, color, figure, linestyle, marker, short, to_svg

PERCENTILES = [50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99]
TAIL_SAMPLES = 10
"""A percentile is drawn only when at least this many samples lie at or above it
(n x (1 - p/100) >= 10): p99 needs 1,000 samples, p99.9 needs 10,000."""


def supported(count: int, percentiles: list[float] = PERCENTILES) -> list[float]:
    """The percentiles this many samples can support (see TAIL_SAMPLES)."""
    return [p for p in percentiles if count * (1 - p / 100) >= TAIL_SAMPLES - 1e-9]


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
    """Percentiles of each transport's merged histogram, each drawn only as far as its sample
    count supports (a p99.9 from 180 samples would be the maximum under another name)."""
    if frame.empty:
        return None
    fig, (ax,) = figure(5.6, 3.2)
    shown: list[str] = []
    with plt.rc_context(STYLE):
        for t, h in merged_histograms(frame).items():
            n = h.get_total_count()
            ps = supported(n) or [50.0]
            ys = [h.get_value_at_percentile(p) / 1000.0 for p in ps]
            ax.plot(
                [1 / (1 - p / 100) for p in ps],
                ys,
                marker=marker(t, order),
                ms=4,
                lw=1.8,
                ls=linestyle(t, order),
                color=color(t, order),
                label=f"{t} (n={n:,}, up to p{ps[-1]:g})",
            )
            shown.append(f"{t}: {n:,} samples, p50 {ys[0]:.3g} ms, drawn up to p{ps[-1]:g}")
        ax.set_xscale("log")
        top = max(
            (supported(h.get_total_count()) or [50.0])[-1]
            for h in merged_histograms(frame).values()
        )
        ticks = [p for p in [50.0, 75.0, 90.0, 99.0, 99.9, 99.99] if p <= top] or [50.0]
        ax.set_xticks([1 / (1 - p / 100) for p in ticks], [f"p{p:g}" for p in ticks])
        ax.minorticks_off()
        ax.set_ylabel("latency (ms)")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", fontsize=8)
    desc = (
        f"Latency percentiles from every sample of every repeat and case merged. A percentile is "
        f"drawn only when at least {TAIL_SAMPLES} samples lie above it. " + "; ".join(shown) + "."
    )
    return to_svg(fig, f"lat-{title}", title=title, desc=desc)


def series_charts(frame: pd.DataFrame, order: list[str], title: str) -> list[str]:
    """One chart per y quantity (e.g. p95 latency and deliveries/s against team size); each
    transport has its own colour, marker and line style so coinciding lines stay visible. A
    quantity with one point per transport is drawn as bars, not as a line."""
    out = []
    for name in dict.fromkeys(frame["y_name"]):
        part = frame[frame["y_name"] == name]
        unit = str(part["unit"].iloc[0])
        label = str(name).replace("_", " ")
        x_name = str(part["x_name"].iloc[0]).replace("_", " ")
        groups = list(part.groupby(["transport", "case"], sort=False))
        chart_title = f"{title}: {label}"
        if all(len(g) == 1 for _, g in groups):
            out.append(_point_bars(groups, order, chart_title, label, unit, x_name))
            continue
        fig, (ax,) = figure(5.6, 3.0)
        lines = []
        with plt.rc_context(STYLE):
            for (t, case), g in groups:
                g = g.sort_values("x")
                ax.plot(
                    g["x"],
                    g["y"],
                    marker=marker(str(t), order),
                    ms=5,
                    mfc="none",
                    lw=1.6,
                    color=color(str(t), order),
                    label=f"{t} {case}".strip(),
                    ls=linestyle(str(t), order),
                )
                ys = g["y"].tolist()
                lines.append(f"{t} {case}".strip() + f" from {ys[0]:.3g} to {ys[-1]:.3g}")
            same = _coinciding(groups)
            if same:
                ax.text(
                    0.99,
                    0.02,
                    "lines coincide: " + "; ".join(" = ".join(g) for g in same),
                    transform=ax.transAxes,
                    ha="right",
                    va="bottom",
                    fontsize=8,
                    color="#495057",
                )
                lines.append("identical values for " + "; ".join(" and ".join(g) for g in same))
            ax.set_xlabel(x_name)
            shown = unit and not label.lower().endswith(unit.lower())
            ax.set_ylabel(label + (f" ({unit})" if shown else ""))
            ax.set_title(chart_title, loc="left")
            ax.legend(fontsize=8)
        desc = (
            f"{label} ({unit}) against {x_name}, one line per transport: " + "; ".join(lines) + "."
        )
        out.append(to_svg(fig, f"series-{title}-{name}", title=chart_title, desc=desc))
    return out


def _coinciding(groups: list[Any]) -> list[list[str]]:
    """Series with exactly the same points, which would hide each other on a line chart."""
    seen: dict[tuple[tuple[float, float], ...], list[str]] = {}
    for (t, case), g in groups:
        key = tuple(
            (float(x), round(float(y), 9)) for x, y in sorted(zip(g["x"], g["y"], strict=True))
        )
        seen.setdefault(key, []).append(f"{t} {case}".strip())
    return [names for names in seen.values() if len(names) > 1]


def _point_bars(
    groups: list[Any], order: list[str], title: str, label: str, unit: str, x_name: str
) -> str:
    fig, (ax,) = figure(5.6, 2.6)
    names, vals, cols, parts = [], [], [], []
    with plt.rc_context(STYLE):
        for (t, case), g in groups:
            row = g.iloc[0]
            names.append(f"{t} {case}".strip())
            vals.append(float(row["y"]))
            cols.append(color(str(t), order))
            parts.append(f"{names[-1]} {float(row['y']):.3g} {unit} at {x_name} {row['x']:g}")
        bars = ax.bar(names, vals, color=cols, width=0.6)
        ax.bar_label(bars, labels=[short(v) for v in vals], fontsize=8, padding=2)
        ax.set_ylabel(f"{label} ({unit})" if unit else label)
        ax.set_ylim(0, (max(vals) if vals else 1) * 1.25 or 1)
        ax.set_title(title, loc="left")
        ax.grid(axis="x", visible=False)
    desc = f"One measurement per transport, shown as bars: {'; '.join(parts)}."
    return to_svg(fig, f"bars-{title}", title=title, desc=desc)


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
    desc = (
        f"Client state over time per transport (coloured bars) and messages received (ticks), "
        f"{end:.1f} s in all: "
        + "; ".join(
            f"{t} went "
            + ", ".join(
                frame[(frame["transport"] == t) & (frame["kind"] == "state")]["value"].astype(str)
            )
            for t in lanes
        )
        + "."
    )
    return to_svg(fig, f"tl-{title}", wide=True, title=title, desc=desc)


def metric_bars(
    rows: pd.DataFrame, metrics: list[str], order: list[str], title: str, unit: str = ""
) -> str | None:
    """Grouped bars of summary figures (one group per metric and case, one bar per transport):
    the median of each figure's repeats, the same number as the results table."""
    rows = rows[rows["metric"].isin(metrics) & rows["valid"]]
    if rows.empty:
        return None
    keys = [
        (m, c)
        for m in metrics
        for c in dict.fromkeys(rows[rows["metric"] == m]["case"].astype(str))
    ]
    lanes = [t for t in order if t in set(rows["transport"])]
    fig, (ax,) = figure(max(5.6, 1.2 * len(keys) + 2), 3.0)
    width = 0.8 / max(len(lanes), 1)
    parts = []
    with plt.rc_context(STYLE):
        for i, t in enumerate(lanes):
            vals = []
            for m, c in keys:
                hit = rows[(rows["transport"] == t) & (rows["metric"] == m) & (rows["case"] == c)]
                vals.append(float(hit["value"].iloc[0]) if len(hit) else float("nan"))
            pos = np.arange(len(keys)) + (i - (len(lanes) - 1) / 2) * width
            bars = ax.bar(pos, np.nan_to_num(vals), width * 0.92, color=color(t, order), label=t)
            ax.bar_label(bars, labels=[short(v) for v in vals], fontsize=7, padding=2)
            parts.append(f"{t}: " + ", ".join(f"{short(v) or 'not measured'}" for v in vals))
        names = [m.replace("_", " ") + (f"\n[{c}]" if c else "") for m, c in keys]
        ax.set_xticks(range(len(keys)), names, fontsize=7.5)
        ax.set_ylabel(unit)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.25)
        chart_title = f"{title}: summary figures (median of repeats)"
        ax.set_title(chart_title, loc="left")
        ax.grid(axis="x", visible=False)
        ax.legend(ncol=len(lanes), loc="upper left")
    desc = (
        "Bars in groups of "
        + ", ".join(n.replace("\n", " ") for n in names)
        + f" ({unit}); "
        + "; ".join(parts)
        + "."
    )
    return to_svg(fig, f"bars-{title}", title=chart_title, desc=desc)


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
    desc = (
        "Each transport's weighted total out of 5, split into the criteria it comes from: "
        + "; ".join(f"{t} {matrix.totals().get(t) or 0:.2f}" for t in matrix.transports)
    )
    return to_svg(
        fig, "scores", title="Weighted score per transport, by criterion", desc=desc + "."
    )


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
    desc = "Share of the weight samples each transport wins: " + "; ".join(
        f"{t} {shares.get(t, 0.0) * 100:.1f}%" for t in order
    )
    return to_svg(fig, "wins", title="How often each transport wins", desc=desc + ".")

"""SVG output shared by every chart: the house style, one colour, marker and line style per
transport, and `to_svg`, which makes each chart inline-ready with a <title> and <desc>, its text
as <text> (svg.fonttype "none") and no URL or XML prolog, so the report stays one offline file."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# Text must be SVG <text> (searchable, read by screen readers), so this is set before anything is
# drawn; savefig reads it again at save time, which is why `to_svg` also saves inside STYLE.
matplotlib.rcParams["svg.fonttype"] = "none"

# One colour, marker and line style per transport, handed out in name order so a transport keeps
# them in every chart of a report (the report knows transports only from the results it reads).
PALETTE = ["#3b5bdb", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#1098ad", "#5c940d"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
LINES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3)), (0, (3, 1, 1, 1))]
UNKNOWN = "#495057"
STATES = {
    "connected": "#51cf66",
    "connecting": "#ffd43b",
    "degraded": "#ff922b",
    "disconnected": "#fa5252",
}
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


def _slot(transport: str, order: list[str]) -> int | None:
    names = sorted(set(order))
    return names.index(transport) if transport in names else None


def color(transport: str, order: list[str]) -> str:
    i = _slot(transport, order)
    return UNKNOWN if i is None else PALETTE[i % len(PALETTE)]


def marker(transport: str, order: list[str]) -> str:
    i = _slot(transport, order)
    return "*" if i is None else MARKERS[i % len(MARKERS)]


def linestyle(transport: str, order: list[str]) -> Any:
    i = _slot(transport, order)
    return "-" if i is None else LINES[i % len(LINES)]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _axes_title(fig: Figure) -> str:
    for ax in fig.axes:
        for loc in ("left", "center"):
            if ax.get_title(loc=loc):
                return str(ax.get_title(loc=loc))
    return ""


def to_svg(
    fig: Figure, salt: str, wide: bool = False, title: str | None = None, desc: str = ""
) -> str:
    """Inline-ready SVG with a <title> and <desc> (aria-labelledby): no XML prolog, namespaces or
    metadata (no URL in the page), text as <text>, and ids salted per chart so several SVGs in
    one document never share an id."""
    title = title or _axes_title(fig) or salt
    buf = io.StringIO()
    with plt.rc_context({**STYLE, "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    css = "chart wide" if wide else "chart"
    ident = "c" + re.sub(r"[^a-z0-9]+", "-", salt.lower()).strip("-")
    labelled = f"{ident}-t {ident}-d" if desc else f"{ident}-t"
    head = f'<title id="{ident}-t">{_escape(title)}</title>'
    if desc:
        head += f'<desc id="{ident}-d">{_escape(desc)}</desc>'
    svg = svg.replace("<svg ", f'<svg class="{css}" role="img" aria-labelledby="{labelled}" ', 1)
    start = svg.index(">", svg.index("<svg")) + 1
    return svg[:start] + head + svg[start:]


def figure(
    width: float = 7.0, height: float = 3.0, ncols: int = 1, nrows: int = 1
) -> tuple[Figure, list]:
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained"
        )
    for ax in axes.ravel():
        ax.set_axisbelow(True)
    return fig, list(axes.ravel())


def short(v: float) -> str:
    if v != v:
        return ""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"

"""Charts a reader can search and a screen reader can read: a title and a description in every
SVG, text as <text>, percentiles only where the sample count supports them, one-point series as
bars, coinciding lines said out loud, each case labelled; the page is one offline file."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from rtspike.reports import charts

SVG = re.compile(r"<svg .*?</svg>", re.S)


def test_every_chart_has_a_title_a_description_and_text(rendered: dict[str, Path]) -> None:
    html = rendered["a"].read_text()
    svgs = SVG.findall(html)
    assert len(svgs) >= 15
    for svg in svgs:
        title = re.search(r"<title id=\"([^\"]+)\">([^<]+)</title>", svg)
        assert title, svg[:200]
        assert f'aria-labelledby="{title.group(1)}' in svg
        assert "<desc id=" in svg
        assert svg.count("<text") >= 3, title.group(2)
    ids = re.findall(r'<title id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_percentiles_need_ten_samples_above_them() -> None:
    assert charts.supported(180) == [50.0, 75.0, 90.0]
    assert charts.supported(1_000)[-1] == 99.0
    assert 99.9 not in charts.supported(9_999) and 99.9 in charts.supported(10_000)


def test_latency_chart_says_how_far_each_transport_is_drawn(rendered: dict[str, Path]) -> None:
    html = rendered["a"].read_text()
    chart = next(s for s in SVG.findall(html) if "latency: latency percentiles" in s)
    assert re.search(r"socketio \(n=[\d,]+, up to p[\d.]+\)", chart)
    assert "A percentile is drawn only when at least 10 samples lie above it" in chart


def series(points: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    rows = [
        {
            "transport": t,
            "case": "",
            "x_name": "team_size",
            "x": x,
            "y_name": "rate",
            "y": y,
            "unit": "1/s",
        }
        for t, pts in points.items()
        for x, y in pts
    ]
    return pd.DataFrame(rows)


def test_one_point_series_become_bars_and_coinciding_lines_are_named() -> None:
    order = ["socketio", "sse", "ws"]
    (bars,) = charts.series_charts(
        series({t: [(20, 5.0 + i)] for i, t in enumerate(order)}), order, "c"
    )
    assert "One measurement per transport, shown as bars" in bars and "<polyline" not in bars
    same = [(4, 40.0), (8, 80.0)]
    (lines,) = charts.series_charts(
        series({"socketio": same, "sse": same, "ws": [(4, 1), (8, 2)]}), order, "f"
    )
    assert "lines coincide: socketio = sse" in lines


def test_bars_label_each_case() -> None:
    rows = pd.DataFrame(
        [
            {
                "metric": "revoke_to_close_max_ms",
                "case": case,
                "transport": t,
                "value": v,
                "valid": True,
            }
            for case, v in (("logout", 30.0), ("revoke_all", 60.0))
            for t in ("sse", "ws")
        ]
    )
    svg = charts.metric_bars(rows, ["revoke_to_close_max_ms"], ["sse", "ws"], "revocation", "ms")
    assert svg is not None and "[logout]" in svg and "[revoke_all]" in svg


def test_environment_folds_away_and_navigation_is_sticky(rendered: dict[str, Path]) -> None:
    html = rendered["a"].read_text()
    env = html[html.index('<section id="environment">') :]
    assert env.index("<details>") < env.index("<table>")
    assert "position:sticky" in html and '<nav class="top"' in html
    for anchor in ("#adr", "#risks", "#validation", "#triggers", "#handoff"):
        assert f'href="{anchor}"' in html


def test_no_external_resource_anywhere(rendered: dict[str, Path]) -> None:
    """Nothing is fetched: no external src/href, no CSS url(), no script, stylesheet or image."""
    for key in ("a", "b"):
        html = rendered[key].read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
        assert "<script" not in html and "<link" not in html and "<img" not in html


def test_every_transport_has_its_own_colour_marker_and_line() -> None:
    order = ["socketio", "sse", "ws", "webtransport"]
    looks = {
        (charts.color(t, order), charts.marker(t, order), str(charts.linestyle(t, order)))
        for t in order
    }
    assert len(looks) == len(order)
    assert len({charts.color(t, order) for t in order}) == len(order)

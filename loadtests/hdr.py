"""Microsecond HdrHistograms beside Locust's millisecond buckets, merged across workers.

Locust rounds response times into whole-millisecond buckets, which hides the difference
between transports at the low end. Every successful request event is also recorded here, per
(request_type, name): request_type is one per user class ("WS", "SSE", "SIO"), so this is one
histogram set per user class. Workers ship their encoded histograms in ``report_to_master``
and reset (Locust's stats reports are deltas too); the master adds them in ``worker_report``.
The result is shown in an extra "HdrHistogram" web UI tab, served at ``/hdr`` (HTML),
``/hdr/json`` and ``/hdr/csv``, and written next to Locust's CSV as ``<prefix>_hdr.csv`` and
``<prefix>_hdr.json`` when ``--csv`` is given.
"""

from __future__ import annotations

import csv
import html
import io
import json
import threading
from pathlib import Path
from typing import Any

import gevent
from hdrh.histogram import HdrHistogram
from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner
from locust.stats import RequestStats

LOWEST_US = 1
HIGHEST_US = 120_000_000
SIGNIFICANT_DIGITS = 3
PAYLOAD_KEY = "rtspike_hdr"
TAB_KEY = "rtspike-hdr"
COLUMNS = ["type", "name", "count", "p50_us", "p90_us", "p99_us", "p99_9_us", "max_us", "mean_us"]

_lock = threading.Lock()
_hists: dict[tuple[str, str], HdrHistogram] = {}


def _new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record(request_type: str, name: str, response_time_ms: float) -> None:
    value = min(max(round(response_time_ms * 1000.0), LOWEST_US), HIGHEST_US)
    with _lock:
        hist = _hists.get((request_type, name))
        if hist is None:
            hist = _hists[(request_type, name)] = _new()
        hist.record_value(value)


def clear() -> None:
    with _lock:
        _hists.clear()


def export_and_reset() -> dict[str, str]:
    """Encoded histograms keyed "type\\tname"; the local ones start again from empty."""
    with _lock:
        out = {
            f"{t}\t{n}": h.encode().decode() for (t, n), h in _hists.items() if h.get_total_count()
        }
        _hists.clear()
    return out


def merge(encoded: dict[str, str]) -> None:
    with _lock:
        for key, value in encoded.items():
            request_type, _, name = key.partition("\t")
            incoming = HdrHistogram.decode(value.encode())
            hist = _hists.get((request_type, name))
            if hist is None:
                hist = _hists[(request_type, name)] = _new()
            hist.add(incoming)


def summary_rows(with_encoded: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with _lock:
        for (request_type, name), h in sorted(_hists.items()):
            row: dict[str, Any] = {
                "type": request_type,
                "name": name,
                "count": h.get_total_count(),
                "p50_us": h.get_value_at_percentile(50),
                "p90_us": h.get_value_at_percentile(90),
                "p99_us": h.get_value_at_percentile(99),
                "p99_9_us": h.get_value_at_percentile(99.9),
                "max_us": h.get_max_value(),
                "mean_us": round(h.get_mean_value(), 1),
            }
            if with_encoded:
                row["encoded"] = h.encode().decode()
            rows.append(row)
    return rows


# The web UI shows milliseconds with decimals (raw microsecond integers such as 2988031 are hard
# to read, and Locust's UI upper-cases a micro sign into a capital mu); files keep microseconds.
DISPLAY_COLUMNS = ["type", "name", "count", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"]
TAB_TITLE = "HdrHistogram (recorded in microseconds, shown in ms)"


def display_rows() -> list[dict[str, Any]]:
    out = []
    for r in summary_rows():
        row: dict[str, Any] = {"type": r["type"], "name": r["name"], "count": r["count"]}
        for label, key in zip(
            DISPLAY_COLUMNS[3:], ("p50_us", "p90_us", "p99_us", "p99_9_us", "max_us"), strict=True
        ):
            row[label] = f"{r[key] / 1000:.3f}"
        out.append(row)
    return out


def csv_text(with_encoded: bool = True) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*COLUMNS, *(["encoded"] if with_encoded else [])])
    writer.writeheader()
    writer.writerows(summary_rows(with_encoded))
    return buf.getvalue()


def write_files(prefix: str, stats: RequestStats | None = None) -> tuple[Path, Path]:
    """One row per (type, name) that either side saw, with Locust's own final counts
    (``locust_requests``/``locust_failures``, taken at quit: its ``_stats.csv`` is a snapshot
    up to a second old). Failure-only entries (boundary, gap, ...) have count 0 here."""
    rows = {(r["type"], r["name"]): r for r in summary_rows(with_encoded=True)}
    entries = dict(stats.entries) if stats is not None else {}
    for name, request_type in entries:
        rows.setdefault((request_type, name), {"type": request_type, "name": name, "count": 0})
    for (request_type, name), row in rows.items():
        entry = entries.get((name, request_type))
        row["locust_requests"] = entry.num_requests if entry is not None else None
        row["locust_failures"] = entry.num_failures if entry is not None else None
    ordered = [rows[k] for k in sorted(rows)]
    csv_path, json_path = Path(f"{prefix}_hdr.csv"), Path(f"{prefix}_hdr.json")
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=[*COLUMNS, "locust_requests", "locust_failures", "encoded"]
    )
    writer.writeheader()
    writer.writerows(ordered)
    csv_path.write_text(buf.getvalue())
    payload = {
        "unit": "us",
        "histograms": [{k: v for k, v in row.items() if k != "encoded"} for row in ordered],
    }
    json_path.write_text(json.dumps(payload, indent=2))
    return csv_path, json_path


def _html_page() -> str:
    cells = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in DISPLAY_COLUMNS) + "</tr>"
        for r in display_rows()
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in DISPLAY_COLUMNS)
    return (
        "<!doctype html><title>rtspike HdrHistogram</title>"
        "<h1>Latency in ms (HdrHistogram recorded in microseconds, merged over workers)</h1>"
        f"<table border=1 cellpadding=4><tr>{head}</tr>{cells}</table>"
        '<p><a href="./hdr/csv">CSV with encoded histograms</a> · <a href="./">Locust UI</a></p>'
    )


def _install_web_ui(environment: Environment) -> None:
    from flask import Response, request

    web_ui = environment.web_ui
    if web_ui is None or web_ui.app is None:
        return
    app = web_ui.app
    structure = [{"key": c, "title": c} for c in DISPLAY_COLUMNS]
    web_ui.template_args["extended_tabs"] = [{"title": TAB_TITLE, "key": TAB_KEY}]
    web_ui.template_args["extended_tables"] = [{"key": TAB_KEY, "structure": structure}]
    web_ui.template_args["extended_csv_files"] = [
        {"href": "./hdr/csv", "title": "Download HdrHistogram CSV (microseconds, encoded)"}
    ]

    @app.route("/hdr")
    def hdr_page() -> Response:
        return Response(_html_page(), mimetype="text/html")

    @app.route("/hdr/json")
    def hdr_json() -> Response:
        return Response(
            json.dumps({"unit": "us", "histograms": summary_rows()}), mimetype="application/json"
        )

    @app.route("/hdr/csv")
    def hdr_csv() -> Response:
        return Response(
            csv_text(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment;filename=hdr.csv"},
        )

    @app.after_request
    def add_extended_stats(response: Response) -> Response:
        if request.path.rstrip("/").endswith("/stats/requests") and response.is_json:
            body = response.get_json() or {}
            body["extended_stats"] = [{"key": TAB_KEY, "data": display_rows()}]
            response.set_data(json.dumps(body))
        return response


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    if environment.web_ui is not None:
        _install_web_ui(environment)

    def on_test_start(**_: Any) -> None:
        options = environment.parsed_options
        warmup = float(getattr(options, "rtspike_warmup", 0) or 0) if options else 0.0
        if warmup > 0:
            gevent.spawn_later(warmup, _end_warmup, environment)

    environment.events.test_start.add_listener(on_test_start)


def _end_warmup(environment: Environment) -> None:
    """Every process (master, workers, local) discards what it holds at the same offset from
    the start: workers drop their unreported deltas, the master its aggregate."""
    if environment.runner is not None:
        environment.runner.stats.reset_all()
    clear()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--rtspike-warmup",
        type=float,
        default=0.0,
        env_var="RTSPIKE_LT_WARMUP",
        help="seconds after the start whose stats and histograms are discarded",
    )


@events.request.add_listener
def _on_request(
    request_type: str,
    name: str,
    response_time: float,
    exception: BaseException | None = None,
    **_: Any,
) -> None:
    if exception is None and response_time is not None:
        record(request_type, name, response_time)


@events.report_to_master.add_listener
def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data[PAYLOAD_KEY] = export_and_reset()


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    merge(data.get(PAYLOAD_KEY) or {})


@events.test_start.add_listener
def _on_test_start(**_: Any) -> None:
    clear()


@events.reset_stats.add_listener
def _on_reset_stats(**_: Any) -> None:
    clear()


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    prefix = getattr(options, "csv_prefix", None) if options is not None else None
    if prefix and not isinstance(environment.runner, WorkerRunner):
        write_files(prefix, environment.runner.stats if environment.runner else None)

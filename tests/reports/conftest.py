"""A hand-made results folder: every scenario for 3 transports, with known figures.

The figures are chosen so the expected 1-5 scores and totals can be worked out by hand (see
test_scoring.py): socketio leads the combined total on the default weights (the declared facts
favour it), sse leads the measured layer. ``build_results`` takes overrides so a test can make
one transport leak, repeats disagree, a case time out, a figure capped, or a scenario error.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram

from rtspike.scenarios.catalog import catalog_for_manifest
from rtspike.scenarios.handoff import write_snapshot
from rtspike.scenarios.results import HistogramRow, Results, SeriesRow, TimelineRow

TRANSPORTS = ["socketio", "sse", "ws"]

# (scenario, metric, case, unit): socketio, sse, ws
FIGURES: list[tuple[str, str, str, str, tuple[float, float, float]]] = [
    ("handshake", "connect_p50_ms", "", "ms", (12, 9, 4)),
    ("handshake", "connect_p95_ms", "", "ms", (30, 20, 10)),
    ("revocation", "revoke_to_close_p50_ms", "", "ms", (60, 40, 30)),
    ("revocation", "revoke_to_close_max_ms", "", "ms", (120, 80, 60)),
    ("isolation", "leaks", "", "count", (0, 0, 0)),
    ("isolation", "violations_refused", "", "count", (40, 40, 40)),
    ("bidirectional", "send_ack_p50_ms", "", "ms", (3, 6, 1.5)),
    ("bidirectional", "send_ack_p99_ms", "", "ms", (8, 14, 4)),
    ("reconnect", "time_to_recovered_s", "sigkill", "s", (1.5, 0.9, 2.5)),
    ("reconnect", "time_to_recovered_s", "token_expiry", "s", (0.8, 0.7, 1.2)),
    ("reconnect", "recovery_after_fault_s", "sigkill", "s", (0.5, 0.3, 2.6)),
    ("reconnect", "recovery_after_fault_s", "token_expiry", "s", (0.4, 0.3, 1.0)),
    ("reconnect", "time_to_degraded_s", "blocked", "s", (6, 5, 7)),
    ("reconnect", "lost", "sigkill", "count", (0, 0, 0)),
    ("reconnect", "duplicated", "sigkill", "count", (0, 0, 0)),
    ("multinode", "cross_node_p99_ms", "", "ms", (20, 12, 8)),
    ("multinode", "lost", "", "count", (0, 0, 0)),
    ("connections", "rss_per_connection_kb", "", "KB", (80, 40, 30)),
    ("effort", "server_loc", "", "lines", (150, 180, 220)),
    ("effort", "client_loc", "", "lines", (120, 160, 240)),
    ("effort", "dependencies", "", "count", (1, 2, 1)),
    ("bundle", "min_bytes", "", "B", (48000, 5200, 3900)),
    ("bundle", "gzip_bytes", "", "B", (15400, 2700, 2100)),
    ("bundle", "brotli_bytes", "", "B", (13900, 2300, 1800)),
    ("bundle", "gzip_added_bytes", "", "B", (14500, 1800, 1200)),
    ("latency", "latency_p50_ms", "", "ms", (6, 3, 2)),
    ("latency", "latency_p99_ms", "", "ms", (40, 18, 9)),
    ("latency", "lost", "", "count", (0, 0, 0)),
    ("fanout", "deliveries_per_s", "", "1/s", (35000, 90000, 120000)),
    ("fanout", "server_us_per_delivery", "", "us", (30, 12, 9)),
    ("fanout", "capacity_connections", "", "count", (800, 1500, 2500)),
]

SPREAD = (0.95, 0.98, 1.0, 1.02, 1.05)  # five repeats around each figure
# Worked out in test_scoring.py from the figures above and reports/weights.toml.
EXPECTED_TOTALS = {"socketio": 4.5167, "sse": 4.2167, "ws": 4.0708}

Key = tuple[str, str, str]  # (scenario, metric, case)


def manifest(run_id: str, transports: Iterable[str] = TRANSPORTS) -> dict[str, object]:
    return {
        "run_id": run_id,
        "created": "2026-02-17T10:00:00Z",
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "profile": "quick",
        "python": "3.11.9",
        "platform": "Linux-6.1-x86_64",
        "cpu": "Test CPU @ 2.0GHz",
        "cores": 2,
        "transports": list(transports),
        "settings": {"store": "sqlite", "log": "sqlite", "bus": "local", "repeats": 3},
        "clients": {
            "socketio": "python-socketio AsyncClient",
            "sse": "httpx-sse",
            "ws": "websockets",
        },
        "versions": {
            "python": {
                "python-socketio": "5.11.4",
                "python-engineio": "4.10.1",
                "aiohttp": "3.10.10",
                "websockets": "13.1",
                "httpx": "0.27.2",
                "httpx-sse": "0.4.0",
            },
            "npm": {"socket.io-client": "4.8.4", "esbuild": "0.28.2"},
        },
        "catalog": catalog_for_manifest(),
    }


def histogram(seed: int, median_us: float) -> str:
    rng = random.Random(seed)
    h = HdrHistogram(1, 60_000_000, 3)
    for _ in range(2000):
        h.record_value(max(1, int(rng.lognormvariate(0, 0.6) * median_us)))
    return h.encode().decode()


def build_results(
    scale: float = 1.0,
    drop: Iterable[tuple[str, str]] = (),
    invalid: Iterable[tuple[str, str]] = (),
    figures: Mapping[Key, tuple[float, float, float]] | None = None,
    repeats: Mapping[tuple[str, str, str, str], list[float]] | None = None,
    bounds: Mapping[tuple[str, str, str, str], tuple[str, str]] | None = None,
    transports: Iterable[str] = TRANSPORTS,
    errors: Iterable[tuple[str, str, str]] = (),
    notes: Mapping[tuple[str, str], str] | None = None,
) -> Results:
    """``drop``/``invalid``: (scenario, transport) pairs left out / flagged invalid (with
    ``notes[(scenario, transport)]`` as their note); ``figures``: replaced values for a
    (scenario, metric, case); ``repeats``: the exact repeat values for one (scenario, metric,
    case, transport); ``bounds``: (bound, note) for one; ``errors``: (scenario, transport,
    note) rows as the runner writes when a scenario raises."""
    dropped, bad = set(drop), set(invalid)
    only = set(transports)
    res = Results()
    for scenario, metric, case, unit, values in FIGURES:
        values = (figures or {}).get((scenario, metric, case), values)
        for t, v in zip(TRANSPORTS, values, strict=True):
            if (scenario, t) in dropped or t not in only:
                continue
            ok = (scenario, t) not in bad
            key = (scenario, metric, case, t)
            vals = (repeats or {}).get(key) or [v * scale * f for f in SPREAD]
            bound, note = (bounds or {}).get(key, ("", ""))
            note = note or ("" if ok else (notes or {}).get((scenario, t), ""))
            res.add_repeats(scenario, t, metric, vals, unit, case, [ok] * len(vals), note, bound)
    for scenario, t, note in errors:
        res.add(scenario, t, "error", 1, "count", valid=False, note=note)
    for i, (t, med) in enumerate(zip(TRANSPORTS, (5000, 2500, 1500), strict=True)):
        if t not in only:
            continue
        for case in ("broadcast", "direct"):
            res.histograms.append(
                HistogramRow(
                    "latency",
                    t,
                    "emit_to_handler",
                    histogram(i * 7 + len(case), med * scale),
                    case=case,
                )
            )
        res.histograms.append(HistogramRow("handshake", t, "connect", histogram(i, med * 3)))
        for n, x in enumerate((100, 250, 500, 1000, 2000)):
            res.series.append(
                SeriesRow(
                    "fanout",
                    t,
                    "connections",
                    x,
                    "p95_ms",
                    (3.0, 2.2, 1.4)[i] * (1 + n) ** 1.6,
                    "ms",
                )
            )
            res.series.append(
                SeriesRow(
                    "fanout",
                    t,
                    "connections",
                    x,
                    "deliveries_per_s",
                    x * 50 * (1 + i) / (1 + n * 0.2),
                    "1/s",
                )
            )
            res.series.append(
                SeriesRow(
                    "connections",
                    t,
                    "connections",
                    x,
                    "rss_mb",
                    40 + x * (80, 40, 30)[i] / 1024,
                    "MB",
                )
            )
        states = [
            (0.0, "connected"),
            (1.0, "disconnected"),
            (1.1, "connecting"),
            (1.0 + (1.5, 0.9, 2.5)[i], "connected"),
        ]
        for t_s, state in states:
            res.timelines.append(TimelineRow("reconnect", t, "sigkill", t_s, "state", state))
        for k in range(0, 40):
            t_s = k * 0.1
            if not 1.0 <= t_s < 1.0 + (1.5, 0.9, 2.5)[i]:
                res.timelines.append(TimelineRow("reconnect", t, "sigkill", t_s, "message", str(k)))
    return res


MakeRun = Callable[..., Path]


HAND_WORKED_WEIGHTS = Path(__file__).with_name("hand_worked_weights.toml")


@pytest.fixture(autouse=True)
def hand_worked_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """The expected scores were worked out against this rubric; the default one moves on.
    Per test, so that tests outside tests/reports always read the real weights.toml."""
    from rtspike.reports import rubric

    monkeypatch.setattr(rubric, "DEFAULT_WEIGHTS", HAND_WORKED_WEIGHTS)


@pytest.fixture
def make_run(tmp_path: Path) -> MakeRun:
    def make(name: str = "run-a", **kwargs: object) -> Path:
        folder = tmp_path / "out" / name
        only = kwargs.get("transports", TRANSPORTS)
        build_results(**kwargs).write(folder, manifest(name, only))  # type: ignore[arg-type]
        write_snapshot(folder)
        return folder

    return make


@pytest.fixture
def results_dir(make_run: MakeRun) -> Path:
    return make_run()


LOCUST_STATS = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,"
    "75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
    "PUSH,socketio message:new,5000,0,4,5.2,1,80,310,166.7,0,4,5,6,6,9,12,20,31,60,80,80\n"
    "CONNECT,socketio connect,100,0,12,14.1,6,90,0,3.3,0,12,14,15,16,20,30,60,90,90,90,90\n"
    ",Aggregated,5100,0,4,5.4,1,90,304,170,0,4,5,6,6,9,12,21,33,60,90,90\n"
)


def write_run(folder: Path, name: str = "run-a", loadtest: bool = False, **kwargs: object) -> Path:
    build_results(**kwargs).write(folder, manifest(name))  # type: ignore[arg-type]
    write_snapshot(folder)
    if loadtest:
        (folder / "loadtest").mkdir()
        (folder / "loadtest" / "socketio_stats.csv").write_text(LOCUST_STATS)
        (folder / "loadtest" / "socketio.hdr").write_text(histogram(99, 4000))
    return folder


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two reports rendered once per session: run-a compared to run-b, and run-b alone
    (sse bundle missing, Locust results present)."""
    from rtspike.reports.render import render_report

    root = tmp_path_factory.mktemp("reports")
    a = write_run(root / "run-a", "run-a")
    b = write_run(root / "run-b", "run-b", loadtest=True, scale=1.2, drop=[("bundle", "sse")])
    return {"a": render_report(a, compare=b), "b": render_report(b), "a_dir": a, "b_dir": b}

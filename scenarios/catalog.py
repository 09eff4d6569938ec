"""Every metric a scenario may write: name, unit, which direction is better, what it means.

The catalogue travels inside manifest.json, so the report explains each figure without
importing scenario code.
"""

from __future__ import annotations

from typing import Any

# Every scenario, in the order a run takes them (scenarios/cases/<name>.py).
SCENARIOS = [
    "effort",
    "bundle",
    "handshake",
    "bidirectional",
    "latency",
    "fanout",
    "connections",
    "isolation",
    "revocation",
    "reconnect",
    "multinode",
    "native",
]

# (scenario, metric): (unit, better, description)
CATALOG: dict[tuple[str, str], tuple[str, str, str]] = {
    ("handshake", "connect_p50_ms"): ("ms", "lower", "connect + auth, median"),
    ("handshake", "connect_p95_ms"): ("ms", "lower", "connect + auth, 95th percentile"),
    ("handshake", "connect_p99_ms"): ("ms", "lower", "connect + auth, 99th percentile"),
    ("latency", "latency_p50_ms"): ("ms", "lower", "emit-to-handler, open loop, median"),
    ("latency", "latency_p90_ms"): ("ms", "lower", "emit-to-handler, 90th percentile"),
    ("latency", "latency_p99_ms"): ("ms", "lower", "emit-to-handler, 99th percentile"),
    ("latency", "latency_p999_ms"): ("ms", "lower", "emit-to-handler, 99.9th percentile"),
    ("latency", "latency_max_ms"): ("ms", "lower", "emit-to-handler, worst"),
    ("latency", "delivered"): ("count", "higher", "messages delivered to handlers"),
    ("latency", "lost"): ("count", "lower", "expected deliveries that never arrived"),
    ("latency", "duplicated"): ("count", "lower", "deliveries seen twice"),
    ("latency", "reordered"): ("count", "lower", "deliveries out of per-publisher order"),
    ("fanout", "deliveries_per_s"): (
        "1/s",
        "higher",
        "deliveries per second, burst to one large team (wall clock)",
    ),
    ("fanout", "team_deliveries_per_s"): (
        "1/s",
        "higher",
        "deliveries per second at the capacity step's rate",
    ),
    ("fanout", "server_us_per_delivery"): ("us", "lower", "server CPU time per delivery"),
    ("fanout", "deliveries_per_core_s"): (
        "1/s",
        "higher",
        "deliveries one fully used server core can make",
    ),
    ("fanout", "burst_lost"): ("count", "lower", "burst deliveries that never arrived"),
    ("fanout", "capacity_connections"): (
        "count",
        "higher",
        "team size at which p95 latency crosses the objective",
    ),
    ("fanout", "server_cpu_pct"): ("%", "lower", "server process CPU during fan-out"),
    ("fanout", "server_rss_mb"): ("MB", "lower", "server RSS during fan-out"),
    ("connections", "rss_per_connection_kb"): (
        "KB",
        "lower",
        "server RSS growth per idle authenticated conn",
    ),
    ("connections", "connections_held"): ("count", "higher", "idle connections held"),
    ("isolation", "leaks"): ("count", "lower", "deliveries the policy forbids (must be 0)"),
    ("isolation", "violations_refused"): ("count", "higher", "out-of-team sends refused"),
    ("isolation", "delivered"): ("count", "higher", "allowed deliveries checked"),
    ("reconnect", "time_to_degraded_s"): ("s", "lower", "interruption to degraded mode"),
    ("reconnect", "time_to_recovered_s"): ("s", "lower", "interruption to connected again"),
    ("reconnect", "lost"): ("count", "lower", "messages never seen by the handler (must be 0)"),
    ("reconnect", "duplicated"): ("count", "lower", "messages seen twice (must be 0)"),
    ("reconnect", "polling_requests"): ("count", "lower", "REST polls spent while degraded"),
    ("revocation", "revoke_to_close_p50_ms"): ("ms", "lower", "logout/revoke-all to close"),
    ("revocation", "revoke_to_close_max_ms"): ("ms", "lower", "logout/revoke-all to close, worst"),
    ("bidirectional", "send_ack_p50_ms"): ("ms", "lower", "client send to ack, median"),
    ("bidirectional", "send_ack_p99_ms"): ("ms", "lower", "client send to ack, 99th pct"),
    ("multinode", "cross_node_p50_ms"): ("ms", "lower", "send on node A to handler on node B"),
    ("multinode", "cross_node_p99_ms"): ("ms", "lower", "cross-node, 99th percentile"),
    ("multinode", "lost"): ("count", "lower", "cross-node deliveries missing"),
    ("multinode", "duplicated"): ("count", "lower", "cross-node deliveries seen twice"),
    ("bundle", "min_bytes"): ("B", "lower", "esbuild-minified client bundle"),
    ("bundle", "gzip_bytes"): ("B", "lower", "gzip -9 of the minified bundle"),
    ("bundle", "brotli_bytes"): ("B", "lower", "brotli of the minified bundle"),
    ("bundle", "gzip_added_bytes"): ("B", "lower", "gzip bytes added over the no-transport page"),
    ("effort", "server_loc"): ("lines", "lower", "non-blank non-comment lines, server half"),
    ("effort", "client_loc"): ("lines", "lower", "non-blank non-comment lines, client halves"),
    ("effort", "browser_glue_loc"): (
        "lines",
        "lower",
        "browser lines the transport needs inside resilient.js to lose nothing",
    ),
    ("effort", "dependencies"): ("count", "lower", "third-party packages the transport adds"),
    # added with the scenario runners: diagnostics and secondary figures
    ("handshake", "connect_failed"): ("count", "lower", "connects that failed or were refused"),
    ("latency", "connect_failed"): ("count", "lower", "receivers that failed to connect"),
    ("latency", "send_errors"): ("count", "lower", "sends not acknowledged"),
    ("fanout", "latency_p95_ms"): ("ms", "lower", "broadcast-to-handler p95, largest team"),
    ("fanout", "delivered"): ("count", "higher", "deliveries checked"),
    ("fanout", "lost"): ("count", "lower", "expected deliveries that never arrived"),
    ("fanout", "duplicated"): ("count", "lower", "deliveries seen twice"),
    ("fanout", "reordered"): ("count", "lower", "deliveries out of per-publisher order"),
    ("fanout", "connect_failed"): ("count", "lower", "receivers that failed to connect"),
    ("fanout", "closed_early"): ("count", "lower", "receivers the server closed mid-run"),
    ("connections", "connect_failed"): ("count", "lower", "idle connections that failed"),
    ("connections", "server_rss_mb"): ("MB", "lower", "server RSS holding the connections"),
    ("connections", "server_rss_base_mb"): ("MB", "lower", "server RSS before connections"),
    ("isolation", "missing"): ("count", "lower", "allowed deliveries that never arrived"),
    ("reconnect", "delivered"): ("count", "higher", "distinct messages the handler saw"),
    ("reconnect", "recovery_after_fault_s"): (
        "s",
        "lower",
        "fault cleared (server back, route unblocked, Redis back) to recovered",
    ),
    ("revocation", "revoke_to_close_ms"): ("ms", "lower", "logout/revoke-all to close, each"),
    ("revocation", "still_open_after_5s"): (
        "count",
        "lower",
        "connections still open 5 s after revocation (must be 0)",
    ),
    ("bidirectional", "send_ack_p90_ms"): ("ms", "lower", "client send to ack, 90th pct"),
    ("bidirectional", "send_ack_max_ms"): ("ms", "lower", "client send to ack, worst"),
    ("bidirectional", "send_errors"): ("count", "lower", "sends not acknowledged"),
    ("multinode", "cross_node_p90_ms"): ("ms", "lower", "cross-node, 90th percentile"),
    ("multinode", "cross_node_p999_ms"): ("ms", "lower", "cross-node, 99.9th percentile"),
    ("multinode", "cross_node_max_ms"): ("ms", "lower", "cross-node, worst"),
    ("multinode", "delivered"): ("count", "higher", "cross-node deliveries checked"),
    ("multinode", "reordered"): ("count", "lower", "cross-node deliveries out of order"),
    ("multinode", "connect_failed"): ("count", "lower", "receivers that failed to connect"),
    ("bundle", "min_added_bytes"): ("B", "lower", "minified bytes added over the baseline page"),
    ("bundle", "brotli_added_bytes"): ("B", "lower", "brotli bytes added over the baseline page"),
    ("bundle", "react_min_added_bytes"): (
        "B",
        "lower",
        "minified bytes the hook + transport add to a React 18 page",
    ),
    ("bundle", "react_gzip_added_bytes"): (
        "B",
        "lower",
        "gzip bytes the hook + transport add to a React 18 page",
    ),
    ("bundle", "react_brotli_added_bytes"): (
        "B",
        "lower",
        "brotli bytes the hook + transport add to a React 18 page",
    ),
    ("bundle", "react_baseline_gzip_bytes"): (
        "B",
        "lower",
        "gzip bytes of the React 18 page without realtime (the before)",
    ),
    # rtspike bench peers: each rtspike transport and each bare-library baseline (case = which)
    ("peers", "server_us_per_delivery"): (
        "us",
        "lower",
        "server CPU per delivery, burst to one room",
    ),
    ("peers", "deliveries_per_s"): ("1/s", "higher", "wall-clock deliveries/s, burst to one room"),
    ("peers", "open_server_us_per_delivery"): (
        "us",
        "lower",
        "server CPU per delivery, open loop at the fixed rate",
    ),
    ("peers", "latency_p50_ms"): ("ms", "lower", "open loop, intended send to handler, median"),
    ("peers", "latency_p99_ms"): ("ms", "lower", "open loop, 99th percentile"),
    ("peers", "latency_p999_ms"): ("ms", "lower", "open loop, 99.9th percentile"),
    ("peers", "missing"): ("count", "lower", "deliveries that never arrived (must be 0)"),
    ("peers", "duplicated"): ("count", "lower", "deliveries seen twice (must be 0)"),
    ("peers", "cpu_ratio"): ("ratio", "lower", "rtspike / baseline, server CPU per delivery"),
    ("peers", "throughput_ratio"): ("ratio", "higher", "rtspike / baseline, deliveries/s"),
    ("peers", "open_cpu_ratio"): ("ratio", "lower", "rtspike / baseline, open-loop CPU"),
    ("peers", "p50_ratio"): ("ratio", "lower", "rtspike / baseline, open-loop p50"),
    ("peers", "p99_ratio"): ("ratio", "lower", "rtspike / baseline, open-loop p99"),
    ("peers", "p999_ratio"): ("ratio", "lower", "rtspike / baseline, open-loop p99.9"),
    ("native", "time_to_detect_s"): (
        "s",
        "lower",
        "fault to the client noticing (blackhole: how long a dead connection stays open)",
    ),
    ("native", "time_to_recovered_s"): (
        "s",
        "lower",
        "end of the outage to the first delivery of a message sent after it",
    ),
    ("native", "lost"): ("count", "lower", "messages sent during or after the fault never seen"),
    ("native", "duplicated"): ("count", "lower", "messages the handler saw twice"),
    ("native", "delivered"): ("count", "higher", "distinct messages the handler saw"),
    ("native", "recovered_without_app_code"): (
        "bool",
        "higher",
        "the library's own reconnect brought live delivery back (1) or not (0)",
    ),
    ("*", "not_measured"): ("count", "lower", "the scenario could not run here (see note)"),
    ("*", "generator_cpu_pct"): ("%", "lower", "load generator CPU (over 90% = invalid run)"),
    ("*", "generator_lag_p99_ms"): ("ms", "lower", "generator loop lag p99 (over 50 = invalid)"),
    ("*", "wall_s"): ("s", "lower", "wall time the scenario took"),
    ("*", "error"): ("count", "lower", "the scenario failed (see note)"),
    ("loadtest", "max_users_p99_under_100ms"): (
        "users",
        "higher",
        "most Locust users with push p99 < 100 ms",
    ),
}


def catalog_for_manifest() -> list[dict[str, Any]]:
    return [
        {"scenario": s, "metric": m, "unit": u, "better": b, "description": d}
        for (s, m), (u, b, d) in CATALOG.items()
    ]

"""Prometheus metrics, one registry per app so that several apps can live in one process
(tests, the bench orchestrator). Deliveries are counted per fan-out, not per connection."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge(
            "rtspike_connections", "Live authenticated connections", ["transport"], registry=r
        )
        self.connects = Counter(
            "rtspike_connects_total", "Accepted realtime connections", ["transport"], registry=r
        )
        self.auth_failures = Counter(
            "rtspike_auth_failures_total",
            "Refused authentications",
            ["transport", "code"],
            registry=r,
        )
        self.messages = Counter(
            "rtspike_messages_total", "Messages appended to the log", ["transport"], registry=r
        )
        self.deliveries = Counter(
            "rtspike_deliveries_total",
            "Messages handed to live connections",
            ["transport"],
            registry=r,
        )
        self.boundary_violations = Counter(
            "rtspike_boundary_violations_total",
            "Refused out-of-team sends",
            ["transport"],
            registry=r,
        )
        self.errors = Counter(
            "rtspike_errors_total", "Structured errors returned", ["transport", "code"], registry=r
        )
        self.disconnects = Counter(
            "rtspike_server_disconnects_total",
            "Connections closed by the server",
            ["transport", "reason"],
            registry=r,
        )
        self.caught_up = Counter(
            "rtspike_caught_up_total",
            "Messages replayed from the log on (re)connect or gap",
            ["transport"],
            registry=r,
        )
        self.send_seconds = Histogram(
            "rtspike_send_seconds",
            "Validate+authorize+append+publish time",
            ["transport"],
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

"""Scenario sizes per profile. ``quick`` (the default) fits all 3 transports x all scenarios in
about 5 minutes on a 2-core machine; ``full`` in about 30; ``tiny`` is for the test suite.

Every figure the rubric scores comes from at least 5 repeats in quick and full (the report
computes its intervals from their spread); to stay within the time, quick trims counts and
windows, never repeats, with one exception: the browser scenarios (``native``, ``proxy``) run
2 repeats in quick, because each native client is a Chromium page of its own and 15 pages per
fault saturate a 2-core machine for minutes; their cells say "not for decisions" there.
``decision`` is quick with those at 5 repeats (what `make bench-decision` runs). ``tiny`` keeps
1-2 repeats and its report says "not for decisions".

Every figure the report shows carries the profile in the manifest, so a quick run is never
mistaken for the full one.
"""

from __future__ import annotations

from typing import Any

Profile = dict[str, dict[str, Any]]

TINY: Profile = {
    "handshake": {"connections": 12, "rate_per_s": 40, "repeats": 2},
    "latency": {
        "lgas": 2,
        "per_lga": 3,
        "rate_per_s": 20,
        "warmup_s": 0.3,
        "window_s": 0.6,
        "repeats": 2,
        "connect_rate": 200,
    },
    "fanout": {
        "sizes": [4, 8],
        "burst_size": 8,
        "burst_messages": 5,
        "rate_per_s": 10,
        "warmup_s": 0.2,
        "window_s": 0.6,
        "repeats": 1,
        "objective_ms": 100.0,
        "connect_rate": 200,
    },
    "connections": {"steps": [20], "processes": 1, "connect_rate": 200, "users": 5},
    "isolation": {"lgas": 2, "per_lga": 2, "rounds": 2},
    "reconnect": {
        "cases": ["server_kill", "token_expiry", "transport_blocked"],
        "rate_per_s": 5,
        "down_s": 0.5,
        "time_scale": 0.1,
        "timeout_s": 20,
        "repeats": 2,
        "ttl_s": 1.5,
        "cases_at_once": True,
    },
    "revocation": {"repeats": 2},
    "bidirectional": {"sends": 30, "rate_per_s": 50},
    "multinode": {
        "lgas": 1,
        "per_lga": 3,
        "rate_per_s": 10,
        "warmup_s": 0.3,
        "window_s": 0.6,
        "repeats": 1,
        "connect_rate": 200,
    },
    "native": {
        "faults": ["server_kill", "blackhole", "token_expiry"],
        "repeats": 1,
        "rate_per_s": 5,
        "settle_s": 0.5,
        "down_s": 0.5,
        "blackhole_s": 3.0,
        "ttl_s": 5.0,
        "window_s": 8.0,
        "drain_s": 15.0,
        "send_after_s": 1.5,
        "connect_timeout_s": 15.0,
        "keepalive_scale": 0.1,
        "faults_at_once": True,
    },
    "proxy": {
        "keepalive_s": 4.0,
        "messages": 4,
        "rate_per_s": 20,
        "connect_timeout_s": 6.0,
        "deliver_timeout_s": 3.0,
        "idle_timeout_s": 1.0,
        "idle_messages": 2,
        "drain_s": 3.0,
        "sticky_rounds": 1,
        "sticky_batch": 4,
        "sticky_window_s": 1.5,
        "origin_clients": 8,
        "origin_window_s": 1.5,
        "configs_at_once": True,
    },
    "bundle": {},
    "effort": {},
}

QUICK: Profile = {
    "handshake": {"connections": 40, "rate_per_s": 80, "repeats": 5},
    "latency": {
        "lgas": 5,
        "per_lga": 40,
        "rate_per_s": 50,
        "warmup_s": 0.5,
        "window_s": 1.0,
        "repeats": 5,
        "connect_rate": 200,
    },
    "fanout": {
        "sizes": [50, 150, 300],
        "burst_size": 300,
        "burst_messages": 100,
        "burst_repeats": 5,
        "rate_per_s": 10,
        "warmup_s": 0.5,
        "window_s": 2.0,
        "repeats": 1,
        "objective_ms": 50.0,
        "connect_rate": 300,
    },
    "connections": {
        "steps": [500],
        "processes": 1,
        "connect_rate": 300,
        "users": 50,
        "readings": 5,
    },
    "isolation": {"lgas": 3, "per_lga": 3, "rounds": 3},
    "reconnect": {
        "cases": ["server_kill", "token_expiry", "transport_blocked"],
        "rate_per_s": 5,
        "down_s": 0.5,
        "time_scale": 0.1,
        "timeout_s": 30,
        "repeats": 5,
        "ttl_s": 1.5,
        "cases_at_once": False,
    },
    "revocation": {"repeats": 3},
    "bidirectional": {"sends": 150, "rate_per_s": 100, "repeats": 5},
    "multinode": {
        "lgas": 2,
        "per_lga": 20,
        "rate_per_s": 20,
        "warmup_s": 0.5,
        "window_s": 1.0,
        "repeats": 5,
        "connect_rate": 200,
    },
    "native": {
        "faults": ["server_kill", "blackhole", "token_expiry"],
        "repeats": 5,
        "rate_per_s": 5,
        "settle_s": 1.0,
        "down_s": 1.0,
        "blackhole_s": 10.0,
        "ttl_s": 6.0,
        "window_s": 10.0,
        "drain_s": 15.0,
        "send_after_s": 2.0,
        "connect_timeout_s": 15.0,
        "keepalive_scale": 0.2,
        "faults_at_once": False,
    },
    "proxy": {
        "keepalive_s": 4.0,
        "messages": 20,
        "rate_per_s": 20,
        "connect_timeout_s": 6.0,
        "deliver_timeout_s": 3.0,
        "idle_timeout_s": 1.0,
        "idle_messages": 6,
        "drain_s": 5.0,
        "sticky_rounds": 2,
        "sticky_batch": 5,
        "sticky_window_s": 2.5,
        "origin_clients": 8,
        "origin_window_s": 3.0,
        "configs_at_once": False,
    },
    "bundle": {},
    "effort": {},
}

FULL: Profile = {
    "handshake": {"connections": 500, "rate_per_s": 100, "repeats": 5},
    "latency": {
        "lgas": 20,
        "per_lga": 100,
        "rate_per_s": 50,
        "warmup_s": 3.0,
        "window_s": 6.0,
        "repeats": 5,
        "connect_rate": 300,
    },
    "fanout": {
        "sizes": [100, 250, 500, 1000, 2000],
        "burst_size": 1000,
        "burst_messages": 300,
        "burst_repeats": 5,
        "rate_per_s": 10,
        "warmup_s": 1.0,
        "window_s": 5.0,
        "repeats": 1,
        "objective_ms": 50.0,
        "connect_rate": 400,
    },
    "connections": {
        "steps": [1000, 5000, 10000],
        "processes": 2,
        "connect_rate": 500,
        "users": 500,
        "readings": 5,
    },
    "isolation": {"lgas": 5, "per_lga": 5, "rounds": 5},
    "reconnect": {
        "cases": ["server_kill", "token_expiry", "transport_blocked"],
        "rate_per_s": 5,
        "down_s": 2.0,
        "time_scale": 0.5,
        "timeout_s": 90,
        "repeats": 5,
    },
    "revocation": {"repeats": 10},
    "bidirectional": {"sends": 1000, "rate_per_s": 100, "repeats": 5},
    "multinode": {
        "lgas": 5,
        "per_lga": 100,
        "rate_per_s": 50,
        "warmup_s": 2.0,
        "window_s": 5.0,
        "repeats": 5,
        "connect_rate": 300,
    },
    "native": {
        "faults": ["server_kill", "blackhole", "token_expiry"],
        "repeats": 10,
        "rate_per_s": 5,
        "settle_s": 2.0,
        "down_s": 2.0,
        "blackhole_s": 45.0,
        "ttl_s": 10.0,
        "cases_at_once": False,
        "window_s": 30.0,
        "drain_s": 15.0,
        "send_after_s": 2.0,
        "connect_timeout_s": 30.0,
        "keepalive_scale": 1.0,
        "faults_at_once": False,
    },
    "proxy": {
        "keepalive_s": 15.0,
        "messages": 100,
        "rate_per_s": 20,
        "connect_timeout_s": 6.0,
        "deliver_timeout_s": 3.0,
        "idle_timeout_s": 5.0,
        "idle_messages": 10,
        "drain_s": 15.0,
        "sticky_rounds": 4,
        "sticky_batch": 5,
        "sticky_window_s": 2.5,
        "origin_clients": 8,
        "origin_window_s": 5.0,
        "configs_at_once": False,
    },
    "bundle": {},
    "effort": {},
}

DECISION: Profile = {
    **QUICK,
    "native": dict(QUICK["native"]),
    "proxy": {**QUICK["proxy"], "sticky_rounds": 5, "sticky_batch": 2},
}
"""quick's sizes with the browser scenarios at 5 repeats: the figures a decision rests on."""
QUICK["native"] = {**QUICK["native"], "repeats": 2}
QUICK["proxy"] = {
    **QUICK["proxy"],
    "sticky_rounds": 2,
    "sticky_batch": 3,
    "messages": 10,
    "idle_messages": 4,
}

PROFILES: dict[str, Profile] = {"tiny": TINY, "quick": QUICK, "decision": DECISION, "full": FULL}

"""What every scenario module gets: the orchestrator, its profile parameters, the results it
writes into, and helpers that turn measurement windows into the tidy rows of results.py.

A scenario module exposes ``NAME``, ``NEEDS_REDIS`` and ``async def run(ctx, transport)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rtspike.scenarios import measure
from rtspike.scenarios.orchestrate import Orchestrator
from rtspike.scenarios.processes import ServerProcess
from rtspike.scenarios.profiles import Profile
from rtspike.scenarios.results import HistogramRow, Results
from rtspike.transports.core.principal import Role, UserInfo
from rtspike.transports.core.users import seed_users


@dataclass
class Context:
    orch: Orchestrator
    profile_name: str
    profile: Profile
    results: Results
    run_id: str
    redis_url: str | None = None
    clients: dict[str, dict[str, str]] = field(default_factory=dict)
    status: Callable[[str], None] = lambda _msg: None
    notes: list[str] = field(default_factory=list)

    shared: dict[str, ServerProcess] = field(default_factory=dict)

    def params(self, scenario: str) -> dict[str, Any]:
        return dict(self.profile.get(scenario, {}))

    async def server(self, name: str, transport: str, **settings: Any) -> ServerProcess:
        return await self.orch.server(name, transport, **settings)

    async def shared_server(self, transport: str) -> ServerProcess:
        """One server per transport for the scenarios that neither measure memory nor change
        server settings (handshake, bidirectional, latency, isolation, revocation): a server
        start costs seconds, which the quick profile cannot spend eleven times per transport.
        Its seed covers every such scenario of the profile."""
        srv = self.shared.get(transport)
        if srv is not None and srv.proc is not None and srv.proc.poll() is None:
            return srv
        lgas, per_lga = self.shared_seed()
        srv = await self.orch.server(
            f"shared-{transport}", transport, seed_lgas=lgas, seed_enumerators=per_lga
        )
        self.shared[transport] = srv
        return srv

    def shared_seed(self) -> tuple[int, int]:
        p = self.profile
        lgas = max(p["latency"]["lgas"], p["isolation"]["lgas"], 2)
        per_lga = max(
            p["latency"]["per_lga"],
            p["handshake"]["connections"],
            p["isolation"]["per_lga"],
            2 * p["revocation"]["repeats"],
            2,
        )
        return lgas, per_lga

    async def stop_shared(self) -> None:
        for srv in self.shared.values():
            await srv.stop()
        self.shared.clear()

    def used_client(self, transport: str, role: str, description: str) -> None:
        self.clients.setdefault(transport, {})[role] = description


def population(lgas: int, per_lga: int) -> list[UserInfo]:
    """The dev seed the servers create with RTSPIKE_SEED_LGAS / RTSPIKE_SEED_ENUMERATORS."""
    return seed_users(lgas, per_lga)


def messaging(users: list[UserInfo], role: Role) -> list[UserInfo]:
    return [u for u in users if u.role == role]


def user_dict(u: UserInfo) -> dict[str, str]:
    return {"login": u.login, "id": u.id, "lga": u.lga_id, "role": u.role.value}


def window_validity(windows: list[dict[str, Any]]) -> list[bool]:
    return [bool(w.get("valid", True)) for w in windows]


def add_generator_rows(
    results: Results, scenario: str, transport: str, case: str, windows: list[dict[str, Any]]
) -> None:
    """The generator's own load, so that a reader sees why a window was (in)valid."""
    if not windows:
        return
    results.add_repeats(
        scenario,
        transport,
        "generator_cpu_pct",
        [float(w["gen_cpu_pct"]) for w in windows],
        "%",
        case,
    )
    results.add_repeats(
        scenario,
        transport,
        "generator_lag_p99_ms",
        [float(w["gen_lag_p99_ms"]) for w in windows],
        "ms",
        case,
    )


def add_latency(
    results: Results,
    scenario: str,
    transport: str,
    windows: list[dict[str, Any]],
    prefix: str,
    case: str = "",
    metrics: tuple[str, ...] = ("p50", "p90", "p99", "p999", "max"),
) -> dict[str, float]:
    """One repeat per window (its own histogram); the merged histogram is stored too and its
    summary returned. Windows without a single sample are skipped (NaN is no measurement)."""
    summaries = [measure.summary_ms(measure.decode(w["hist"])) for w in windows]
    flags = window_validity(windows)
    for key in metrics:
        pairs = [
            (s[key], ok) for s, ok in zip(summaries, flags, strict=True) if not math.isnan(s[key])
        ]
        if pairs:
            results.add_repeats(
                scenario,
                transport,
                f"{prefix}_{key}_ms",
                [v for v, _ in pairs],
                "ms",
                case,
                [ok for _, ok in pairs],
            )
    merged = measure.merge(w["hist"] for w in windows)
    results.histograms.append(
        HistogramRow(scenario, transport, prefix, measure.encode(merged), "us", case)
    )
    add_generator_rows(results, scenario, transport, case, windows)
    return measure.summary_ms(merged)


def add_accounting(
    results: Results,
    scenario: str,
    transport: str,
    acc: dict[str, int],
    case: str = "",
    keys: tuple[str, ...] = ("delivered", "lost", "duplicated", "reordered"),
) -> None:
    for key in keys:
        results.add(scenario, transport, key, float(acc[key]), "count", case)

"""manifest.json: everything needed to judge or repeat a run without the machine it ran on."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from rtspike.scenarios.cases.bundle import web_versions
from rtspike.scenarios.catalog import catalog_for_manifest
from rtspike.scenarios.loadgen import CPU_LIMIT_PCT, LAG_LIMIT_MS

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def dependencies() -> dict[str, str]:
    """Every installed distribution (the whole environment, not only direct dependencies)."""
    out: dict[str, str] = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if name:
            out[str(name)] = dist.version
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def build(
    run_id: str,
    profile_name: str,
    profile: dict[str, Any],
    settings_env: dict[str, str],
    transports: list[str],
    scenarios: list[str],
    clients: dict[str, dict[str, str]],
    started: datetime,
    redis_url: str | None,
    notes: list[str],
    complete: bool = True,
) -> dict[str, Any]:
    """``complete`` is False for a run that was interrupted: its tables hold what was measured
    before the signal, and readers that want a whole run (the notebook) skip it."""
    return {
        "run_id": run_id,
        "complete": complete,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "profile": profile_name,
        "profile_parameters": profile,
        "transports": transports,
        "scenarios": scenarios,
        "clients": clients,
        "settings": {
            "server_env": settings_env,
            "redis": bool(redis_url),
            "generator_cpu_limit_pct": CPU_LIMIT_PCT,
            "generator_lag_limit_ms": LAG_LIMIT_MS,
        },
        "environment": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpu_model": cpu_model(),
            "cores_logical": psutil.cpu_count(logical=True),
            "cores_physical": psutil.cpu_count(logical=False),
            "memory_mb": round(psutil.virtual_memory().total / 2**20),
            "load_average": list(os.getloadavg()),
        },
        "git": {"commit": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain"))},
        "versions": {"python_packages": dependencies(), "npm": web_versions()},
        "notes": notes,
        "catalog": catalog_for_manifest(),
    }

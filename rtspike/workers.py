"""`rtspike serve --workers N`: N server processes on one port (SO_REUSEPORT), one supervisor.

The kernel spreads new connections over the N listening sockets, so each worker holds about
1/N of the connections and every worker is a full rtspike node: they share nothing in memory,
only the Redis store, log and bus (a message sent on one worker reaches the others' connections
through the bus, exactly once, as between nodes). That is why N > 1 is refused without Redis:
SQLite files and the in-process bus would give each worker its own world.

The supervisor only starts, watches and stops: if one worker dies the others are stopped too
and the exit code says so (a service manager restarts the whole unit; a half-alive pool
silently serving 1/N of the clients wrong would be worse).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

from rtspike.preflight import PreflightError
from rtspike.scenarios.processes import die_with_parent_hook
from rtspike.transports.core.settings import Settings

MAX_WORKERS = 64
STOP_TIMEOUT_S = 10.0
POLL_S = 0.5


def shared_backends_missing(settings: Settings) -> list[str]:
    """The RTSPIKE_* variables that still point at per-process backends."""
    urls = {
        "RTSPIKE_STORE_URL": settings.resolved_store_url,
        "RTSPIKE_LOG_URL": settings.resolved_log_url,
        "RTSPIKE_BUS_URL": settings.bus_url,
    }
    return [name for name, url in urls.items() if not url.startswith(("redis://", "rediss://"))]


def check_workers(settings: Settings, workers: int) -> None:
    if not 1 <= workers <= MAX_WORKERS:
        raise PreflightError(f"--workers must be between 1 and {MAX_WORKERS}; pass one in range.")
    missing = shared_backends_missing(settings)
    if workers > 1 and missing:
        raise PreflightError(
            f"--workers {workers} needs the store, log and bus on Redis: set "
            f"{', '.join(missing)} to redis://... (and RTSPIKE_JWT_SECRET), or run one worker."
        )


def worker_command(argv: list[str]) -> list[str]:
    """This process's own `serve` command line, as one worker of the pool."""
    return [sys.executable, "-m", "rtspike", *argv, "--pool-member"]


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run_pool(argv: list[str], workers: int, env: dict[str, str] | None = None) -> int:
    """Start ``workers`` copies of ``rtspike <argv>``, wait; 0 on a clean stop (SIGTERM or
    Ctrl-C), else the exit code of the first worker that died. ``env``: added to ours."""
    child_env = {**os.environ, **(env or {})}
    hook = die_with_parent_hook()  # a SIGKILLed pool leaves no worker on the port
    procs = [
        subprocess.Popen(worker_command(argv), env=child_env, preexec_fn=hook)
        for _ in range(workers)
    ]
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    code = 0
    try:
        while True:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                code = dead[0].returncode or 1
                break
            time.sleep(POLL_S)
    except (_Stop, KeyboardInterrupt):
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return code

"""The processes of one bench run: `rtspike serve` servers (scenarios/processes.py), each with its
own data directory under the run folder, and throwaway redis-servers; ``stop_all`` ends them.

Every server of one run signs with the same JWT secret (RTSPIKE_JWT_SECRET), so that servers
sharing a Redis store accept each other's tokens; the secret never leaves the process
environment and is never logged or written to the results.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtspike.scenarios.processes import ServerProcess, free_port, spawn, wait_listening
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.bench.orchestrate")
READY_TIMEOUT_S = 30.0

# Benchmarks measure transports, not the per-session rate limiter: servers started here allow
# far more sends than production defaults. Recorded in the manifest as part of the settings.
BENCH_ENV: dict[str, str] = {
    "RTSPIKE_SEND_RATE_PER_S": "100000",
    "RTSPIKE_SEND_BURST": "100000",
    "RTSPIKE_QUEUE_BOUND": "10000",
}


class Orchestrator:
    """Owns every process a run starts, so that nothing outlives the run."""

    def __init__(self, run_dir: Path, base_env: dict[str, str] | None = None) -> None:
        self.run_dir = run_dir
        self.secret = secrets.token_urlsafe(48)
        self.base_env = {**BENCH_ENV, **(base_env or {})}
        self.servers: list[ServerProcess] = []
        self.redis: list[RedisProcess] = []
        self._count = 0

    async def server(
        self, name: str, transport: str, workers: int = 1, **settings: Any
    ) -> ServerProcess:
        """Start a server (``workers`` processes on its port); ``settings`` become
        RTSPIKE_<NAME> variables."""
        self._count += 1
        env = {**self.base_env, "RTSPIKE_JWT_SECRET": self.secret}
        env.update({f"RTSPIKE_{k.upper()}": str(v) for k, v in settings.items()})
        data_dir = self.run_dir / "servers" / f"{self._count:02d}-{name}"
        srv = ServerProcess(transport, data_dir, env, name=name, workers=workers)
        self.servers.append(srv)
        await srv.start()
        return srv

    async def redis_server(self) -> RedisProcess:
        proc = RedisProcess(self.run_dir / "redis")
        self.redis.append(proc)
        await proc.start()
        return proc

    async def stop_all(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.servers), return_exceptions=True)
        for r in self.redis:
            r.kill()
        self.servers.clear()
        self.redis.clear()


def settings_env(orch: Orchestrator) -> dict[str, str]:
    """The RTSPIKE_* overrides every bench server gets, for the manifest (no secret)."""
    return dict(orch.base_env)


@dataclass
class RedisProcess:
    """A throwaway redis-server of our own on a free port: the only Redis a run may restart."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; the Redis restart case needs it")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = spawn(
            [
                binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ]
        )
        await wait_listening(self.proc, self.port, "redis-server")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    async def restart(self, down_s: float) -> None:
        self.kill()
        await asyncio.sleep(down_s)
        await self.start()

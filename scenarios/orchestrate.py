"""Server processes for the scenarios: `rtspike serve` on a free loopback port, each with its own
data directory under the run folder, health-checked before use, sampled with psutil, and
killable (SIGKILL) and restartable on the same port and data directory.

Every server of one run signs with the same JWT secret (RTSPIKE_JWT_SECRET), so that servers
sharing a Redis store accept each other's tokens; the secret never leaves the process
environment and is never logged or written to the results.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One `rtspike serve` process. ``restart`` keeps port, data directory and environment."""

    name: str
    transport: str
    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"server {self.name} is not running")
        return self.proc.pid

    def _command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "rtspike",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--transport",
            self.transport,
            "--log-level",
            "WARNING",
        ]

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "RTSPIKE_DATA_DIR": str(self.data_dir)}
        logfile = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: ASYNC220 (spawning does not block)
            self._command(),
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        logfile.close()
        self.starts += 1
        await self.wait_ready()
        log.info("bench.server_started", server=self.name, port=self.port, pid=self.proc.pid)

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"{self.base_url}/api/v1/healthz"
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    tail = (self.data_dir / "server.log").read_text()[-2000:]
                    raise RuntimeError(f"server {self.name} exited early:\n{tail}")
                with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise TimeoutError(f"server {self.name} not healthy after {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL: no graceful close frames, no flush; what a crash looks like to clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    async def stop(self, timeout_s: float = 8.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.proc.wait, timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    async def restart(self) -> None:
        self.kill()
        await self.start()

    def sample(self) -> dict[str, float]:
        """Cumulative CPU seconds and current RSS (MB) of the server process."""
        p = psutil.Process(self.pid)
        cpu = p.cpu_times()
        return {"cpu_s": cpu.user + cpu.system, "rss_mb": p.memory_info().rss / 2**20}


class Orchestrator:
    """Owns every process a run starts, so that nothing outlives the run."""

    def __init__(self, run_dir: Path, base_env: dict[str, str] | None = None) -> None:
        self.run_dir = run_dir
        self.secret = secrets.token_urlsafe(48)
        self.base_env = {**BENCH_ENV, **(base_env or {})}
        self.servers: list[Server] = []
        self.redis: list[RedisProcess] = []
        self._count = 0

    async def server(self, name: str, transport: str, **settings: Any) -> Server:
        """Start a server; ``settings`` become RTSPIKE_<NAME> variables."""
        self._count += 1
        env = {**self.base_env, "RTSPIKE_JWT_SECRET": self.secret}
        env.update({f"RTSPIKE_{k.upper()}": str(v) for k, v in settings.items()})
        srv = Server(name, transport, self.run_dir / "servers" / f"{self._count:02d}-{name}", env)
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
        self.proc = subprocess.Popen(  # noqa: ASYNC220 (spawning does not block)
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    async def restart(self, down_s: float) -> None:
        self.kill()
        await asyncio.sleep(down_s)
        await self.start()

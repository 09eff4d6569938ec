"""The child processes a run starts, managed one way for the scenarios, `rtspike loadtest` and the
tests: a free loopback port, children that die with their parent, and `rtspike serve` as a
process that is health-checked before use, sampled with psutil, killable and restartable on the
same port and data directory.

Why children must die with the parent: a bench or load test killed with SIGTERM (or SIGKILL, or
an OOM kill) must not leave servers listening. Signal handlers cover the polite cases; on Linux
the kernel covers the rest (``PR_SET_PDEATHSIG``, set in the child before it execs).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import psutil

T = TypeVar("T")
READY_TIMEOUT_S = 30.0
PORT_ATTEMPTS = 3
STOP_TIMEOUT_S = 8.0
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on ``host``; free until somebody else binds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def die_with_parent_hook() -> Callable[[], None]:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when the spawning thread's process
    dies. Spawn from the main thread: the signal follows the thread, not the process."""
    parent = os.getpid()

    def hook() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def spawn_kwargs() -> dict[str, object]:
    """Keyword arguments for Popen / create_subprocess_exec: own session (a terminal's Ctrl-C
    reaches only us, and we stop the children in order) and death with the parent."""
    return {"start_new_session": True, "preexec_fn": die_with_parent_hook()}


class PortTaken(RuntimeError):
    """The server could not bind its port: somebody took it between ``free_port`` and the
    server's bind (runs that boot several servers at once race for ports)."""


@dataclass
class ServerProcess:
    """One `rtspike serve` process. ``env`` holds RTSPIKE_* overrides on top of os.environ;
    ``restart`` keeps port, data directory and environment."""

    transport: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    name: str = "server"
    port: int = field(default_factory=free_port)
    cwd: Path | None = None
    log_file: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    workers: int = 1
    """`rtspike serve --workers N`: N processes on the port (their CPU is summed in sample)."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_file or self.data_dir / "server.log"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"server {self.name} is not running")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
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
            *(["--workers", str(self.workers)] if self.workers > 1 else []),
        ]

    def launch(self) -> None:
        """Spawn without waiting for health (several servers can then boot in parallel)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "RTSPIKE_DATA_DIR": str(self.data_dir)}
        with self.log_path.open("ab") as logfile:
            self.proc = subprocess.Popen(
                self.command(),
                env=env,
                cwd=self.cwd,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                **spawn_kwargs(),  # type: ignore[call-overload]
            )
        self.starts += 1

    async def start(self) -> None:
        """A first start that loses its port to another process moves to a new free port; a
        restart keeps its port (clients come back to it) and fails if the port is gone."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.launch()
            try:
                await self.wait_ready()
                return
            except PortTaken:
                if self.starts > attempt or attempt == PORT_ATTEMPTS:
                    raise
                self.port = free_port()

    def _holds_port(self) -> bool:
        """A health answer on our port can come from somebody else's server that holds it
        while ours fails to bind: it counts only while our process listens there."""
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return False
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                for c in proc.net_connections(kind="tcp"):
                    if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port:
                        return True
        return False

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"{self.base_url}/api/v1/healthz"
        nodes: set[str] = set()
        # a fresh connection per probe, so that the kernel may route it to any worker
        connector = aiohttp.TCPConnector(force_close=self.workers > 1)
        async with aiohttp.ClientSession(connector=connector) as session:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-2000:]
                    taken = "already in use" in tail
                    error = PortTaken if taken else RuntimeError
                    raise error(f"server {self.name} exited early:\n{tail}")
                with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            if self.workers == 1:
                                if self._holds_port():
                                    return
                            else:
                                nodes.add(str((await r.json(content_type=None)).get("node")))
                                if len(nodes) >= self.workers and self._all_listening():
                                    return
                await asyncio.sleep(0.05)
        raise TimeoutError(f"server {self.name} not healthy after {timeout_s:.0f} s")

    async def listening(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """The moment a (re)launched server accepts TCP (monotonic): the end of an outage as a
        client sees it, stamped before ``wait_ready``'s health check, which a fast client can
        beat."""
        if self.proc is None:
            raise RuntimeError(f"server {self.name} was never launched")
        what = f"server {self.name}"
        return await wait_listening(self.proc, self.port, what, timeout_s, self.log_path, 0.005)

    def kill(self) -> None:
        """SIGKILL: no graceful close frames, no flush; what a crash looks like to clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop_blocking(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, then SIGKILL if the server has not exited within ``timeout_s``."""
        if self.proc is not None:
            terminate(self.proc, signal.SIGTERM, timeout_s)

    async def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        await asyncio.to_thread(self.stop_blocking, timeout_s)

    async def restart(self) -> None:
        self.kill()
        await self.start()

    def _all_listening(self) -> bool:
        try:
            return len(psutil.Process(self.pid).children()) >= self.workers
        except psutil.Error:
            return False

    def sample(self) -> dict[str, float]:
        """Cumulative CPU seconds and current RSS (MB) of the server process and its workers."""
        root = psutil.Process(self.pid)
        cpu_s = rss = 0.0
        for p in [root, *root.children(recursive=True)]:
            try:
                cpu = p.cpu_times()
                cpu_s += cpu.user + cpu.system
                rss += p.memory_info().rss / 2**20
            except psutil.Error:
                continue
        return {"cpu_s": cpu_s, "rss_mb": rss}


async def start_all(servers: list[ServerProcess]) -> None:
    """Boot in parallel, wait for every one; stop them all if any fails to come up."""
    for server in servers:
        server.launch()
    try:
        await asyncio.gather(*(s.wait_ready() for s in servers))
    except BaseException:
        for server in servers:
            server.stop_blocking()
        raise


def spawn(command: list[str], stderr_path: Path | None = None) -> subprocess.Popen[bytes]:
    """A helper program (nginx, redis-server) as a child that dies with us; its stderr goes to
    ``stderr_path`` (appended) or nowhere."""
    stderr = stderr_path.open("ab") if stderr_path is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            **spawn_kwargs(),  # type: ignore[call-overload]
        )
    finally:
        if stderr_path is not None:
            stderr.close()  # type: ignore[union-attr]


def _tail(path: Path | None, chars: int = 500) -> str:
    return path.read_text(errors="replace")[-chars:].strip() if path is not None else ""


async def wait_listening(
    proc: subprocess.Popen[bytes],
    port: int,
    what: str,
    timeout_s: float = 10.0,
    stderr_path: Path | None = None,
    poll_s: float = 0.05,
) -> float:
    """Until ``proc`` accepts TCP on 127.0.0.1:``port``, probed every ``poll_s``; the moment
    it did (monotonic). RuntimeError (with the tail of its stderr) if it exits first,
    TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {_tail(stderr_path)}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(poll_s)
            continue
        stamp = time.monotonic()
        writer.close()
        return stamp
    raise TimeoutError(f"{what} did not listen within {timeout_s:g} s")


def terminate(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 15
) -> int:
    """Ask a child to stop with ``sig``, SIGKILL it (and the process group it leads, such as
    nginx's workers) after ``timeout_s``; its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                if os.getpgid(proc.pid) == proc.pid:
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
    return proc.wait()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C for blocking (non-asyncio) code: KeyboardInterrupt in the
    main thread, so ``finally`` blocks stop the children."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


async def cancel_on_sigterm(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` as a task that SIGTERM cancels, as asyncio.run does for Ctrl-C: its
    ``finally`` blocks stop the children, then CancelledError reaches the caller."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    finally:
        loop.remove_signal_handler(signal.SIGTERM)

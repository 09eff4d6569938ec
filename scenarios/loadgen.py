"""Load generator processes.

The client side of a load scenario runs in its own spawned process, never in the orchestrating
process: its CPU and event-loop lag are recorded per measurement window, and a window in which
the generator saturated (CPU above ``CPU_LIMIT_PCT`` of one core, or loop lag p99 above
``LAG_LIMIT_MS``) is marked invalid instead of being reported as server latency.

A worker is a coroutine ``async def fn(gen: Generator, params: dict) -> dict`` named as
``"module:function"``, run as ``python -m scenarios.loadgen`` (params and result as JSON
files). Several workers of one run meet at a barrier (``await gen.sync()``, which every worker
must call exactly once).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psutil

from rtspike.scenarios.measure import LoopLag, summary_ms
from rtspike.scenarios.processes import spawn_kwargs
from rtspike.transports import registry
from rtspike.transports.core.errors import RtspikeError

CPU_LIMIT_PCT = 90.0
LAG_LIMIT_MS = 50.0

WorkerFn = Callable[["Generator", dict[str, Any]], Awaitable[dict[str, Any]]]


class Generator:
    """What a worker coroutine gets: a barrier, and measurement windows that record the
    generator's own CPU and loop lag and the server processes' CPU and RSS."""

    def __init__(self, server_pids: list[int]) -> None:
        self.me = psutil.Process()
        self.servers = [psutil.Process(p) for p in server_pids]
        self.lag = LoopLag()
        self.windows: list[dict[str, float | bool]] = []
        self._open: dict[str, float] | None = None

    async def sync(self) -> None:
        """Wait until every worker of the run is ready (the parent releases all at once)."""
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        line = await asyncio.to_thread(sys.stdin.readline)
        if line.strip() != "GO":
            raise RuntimeError("released without GO: another worker failed")

    def _cpu(self, p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
        except psutil.Error:
            return 0.0
        return float(t.user + t.system)

    def begin(self) -> None:
        self.lag.reset()
        self._open = {
            "t": time.monotonic(),
            "cpu": self._cpu(self.me),
            **{f"srv{i}": self._cpu(p) for i, p in enumerate(self.servers)},
        }

    def end(self) -> dict[str, float | bool]:
        """Close the window; returns (and keeps) its figures."""
        if self._open is None:
            raise RuntimeError("end() without begin()")
        wall = max(time.monotonic() - self._open["t"], 1e-6)
        cpu_pct = 100.0 * (self._cpu(self.me) - self._open["cpu"]) / wall
        lag = summary_ms(self.lag.hist)
        lag_p99 = lag["p99"] if lag["count"] else 0.0
        window: dict[str, float | bool] = {
            "wall_s": wall,
            "gen_cpu_pct": cpu_pct,
            "gen_lag_p99_ms": lag_p99,
            "valid": cpu_pct <= CPU_LIMIT_PCT and lag_p99 <= LAG_LIMIT_MS,
        }
        for i, p in enumerate(self.servers):
            window[f"server{i}_cpu_pct"] = 100.0 * (self._cpu(p) - self._open[f"srv{i}"]) / wall
            try:
                window[f"server{i}_rss_mb"] = p.memory_info().rss / 2**20
            except psutil.Error:
                window[f"server{i}_rss_mb"] = float("nan")
        self._open = None
        self.windows.append(window)
        return window


def _resolve(target: str) -> WorkerFn:
    module, _, name = target.partition(":")
    fn: WorkerFn = getattr(importlib.import_module(module), name)
    return fn


async def _instrumented(target: str, params: dict[str, Any]) -> dict[str, Any]:
    gen = Generator(list(params.get("server_pids", [])))
    gen.lag.start()
    try:
        result = await _resolve(target)(gen, params)
    finally:
        await gen.lag.stop()
    result.setdefault("windows", gen.windows)
    return result


def main() -> None:
    """Worker entry point: ``python -m scenarios.loadgen <target> <params.json> <out.json>``."""
    from rtspike.transports.core.logging import configure_logging

    configure_logging("ERROR")
    for spec in registry.specs():
        for noisy in spec.library_loggers:
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
    target, params_path, out_path = sys.argv[1:4]
    params = json.loads(Path(params_path).read_text())
    try:
        result = {"ok": True, "result": asyncio.run(_instrumented(target, params))}
    except BaseException as exc:
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "tb": traceback.format_exc(),
        }
    Path(out_path).write_text(json.dumps(result))


class WorkerFailed(RtspikeError):
    pass


async def _release_when_ready(
    procs: list[asyncio.subprocess.Process], on_ready: Callable[[], Awaitable[None]] | None
) -> None:
    """The barrier: every worker says READY on stdout, then (after ``on_ready``, which may
    sample the servers in that quiet moment) all get GO on stdin together."""
    for proc in procs:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if line.strip() != b"READY":
            return
    if on_ready is not None:
        await on_ready()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"GO\n")
        await proc.stdin.drain()


async def run_workers(
    target: str,
    params_list: list[dict[str, Any]],
    timeout_s: float = 300.0,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> list[dict[str, Any]]:
    """Run one worker process per params dict; returns their results in order."""
    workdir = Path(tempfile.mkdtemp(prefix="rtspike-gen-"))
    procs: list[asyncio.subprocess.Process] = []
    outs: list[Path] = []
    try:
        for i, params in enumerate(params_list):
            src, out = workdir / f"params{i}.json", workdir / f"out{i}.json"
            src.write_text(json.dumps(params))
            outs.append(out)
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "rtspike.scenarios.loadgen",
                    target,
                    str(src),
                    str(out),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    **spawn_kwargs(),  # type: ignore[arg-type]
                )
            )
        releaser = asyncio.create_task(_release_when_ready(procs, on_ready))
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(*(p.wait() for p in procs))
        except TimeoutError:
            raise WorkerFailed(f"load generator timed out after {timeout_s:.0f} s") from None
        finally:
            releaser.cancel()
        results: list[dict[str, Any]] = []
        for out in outs:
            if not out.exists():
                raise WorkerFailed("load generator died without a result")
            msg = json.loads(out.read_text())
            if not msg["ok"]:
                raise WorkerFailed(f"load generator failed: {msg['error']}\n{msg['tb']}")
            results.append(msg["result"])
        return results
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


async def run_worker(
    target: str, params: dict[str, Any], timeout_s: float = 300.0
) -> dict[str, Any]:
    return (await run_workers(target, [params], timeout_s))[0]


if __name__ == "__main__":
    main()

"""`rtspike loadtest`: start the server process(es), then Locust against them.

Servers and Locust are separate processes (``python -m scenarios.cli serve`` and
``python -m locust``): Locust runs on gevent, which must never be imported into an asyncio
process. Headless runs write into ``<out>/loadtest/<transport>/``: Locust's CSV files and
HTML report (prefix ``locust``), the merged microsecond HdrHistograms (``locust_hdr.csv``
with encoded histograms, ``locust_hdr.json`` with percentiles) and ``run.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rtspike.console import console
from rtspike.scenarios import results
from rtspike.transports import registry

LOCUSTFILE = Path(__file__).resolve().parents[1] / "loadtests" / "locustfile.py"


def user_class(transport: str) -> str:
    """The Locust user class for ``transport``, by the name Locust is given (its spec says)."""
    return registry.spec(transport).locust_class_name


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("loadtest", help="Locust load test (web UI, or --headless into --out)")
    p.add_argument(
        "--transport",
        default="all",
        choices=[*registry.names(), "all"],
        help="user class to run (default all: class picker in the UI, or one run "
        "per transport headless)",
    )
    p.add_argument("--users", type=int, default=50, help="peak concurrent users (default 50)")
    p.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second")
    p.add_argument("--run-time", default="30s", help="headless run time, e.g. 30s, 2m")
    p.add_argument("--headless", action="store_true", help="no web UI; write results to --out")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default reports/out/loadtest-<timestamp>/)",
    )
    p.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="two server processes sharing store, log and bus on this Redis",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=None,
        help="Locust worker processes (master + N forked workers; -1 = one per core)",
    )
    p.add_argument(
        "--send-rate",
        type=float,
        default=1.0,
        help="broadcasts per second per supervisor (default 1)",
    )
    p.add_argument(
        "--reply-rate",
        type=float,
        default=0.0,
        help="direct messages per second per enumerator to its supervisor",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="seconds from the start to discard (Locust stats and histograms); default 0",
    )
    p.add_argument("--lgas", type=int, default=None, help="LGAs in the seed (default: auto)")
    p.add_argument("--web-port", type=int, default=None, help="web UI port (default: free port)")
    p.set_defaults(handler=run)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed_size(users: int, lgas: int | None) -> tuple[int, int]:
    """Enough seed users that every Locust user logs in as somebody of its own."""
    n_lgas = lgas or max(2, min(20, users // 10))
    return n_lgas, max(10, math.ceil(users / n_lgas))


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server {url} not healthy after {timeout_s:.0f} s")


class Servers:
    """One embedded server, or two on Redis with a shared secret and a private key prefix."""

    def __init__(
        self, transports: list[str], lgas: int, enumerators: int, redis: str | None, log_dir: Path
    ) -> None:
        self.redis = redis
        self.prefix = f"rtspike-lt-{secrets.token_hex(6)}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="rtspike-lt-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        env = {
            **os.environ,
            "RTSPIKE_JWT_SECRET": secrets.token_urlsafe(48),
            "RTSPIKE_DATA_DIR": str(self.data_dir),
            "RTSPIKE_SEED_LGAS": str(lgas),
            "RTSPIKE_SEED_ENUMERATORS": str(enumerators),
            "RTSPIKE_SEND_RATE_PER_S": "100000",
            "RTSPIKE_SEND_BURST": "100000",
        }
        if redis:
            env.update(
                RTSPIKE_STORE_URL=redis,
                RTSPIKE_LOG_URL=redis,
                RTSPIKE_BUS_URL=redis,
                RTSPIKE_REDIS_PREFIX=self.prefix,
            )
        names = ",".join(transports) if len(transports) == 1 else "all"
        log_dir.mkdir(parents=True, exist_ok=True)
        for i in range(2 if redis else 1):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log = (log_dir / f"server-{i}.log").open("wb")
            cmd = [
                sys.executable,
                "-m",
                "rtspike",
                "serve",
                "--transport",
                names,
                "--port",
                str(port),
                "--log-level",
                "WARNING",
            ]
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    env={**env, "RTSPIKE_NODE_ID": f"lt-node-{i}"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=LOCUSTFILE.parents[1],
                )
            )
            self.urls.append(url)
        for url, proc in zip(self.urls, self.procs, strict=True):
            wait_healthy(url, proc)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.redis:
            import redis as redis_lib

            client = redis_lib.Redis.from_url(self.redis)
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def locust_command(
    args: argparse.Namespace,
    classes: list[str],
    urls: list[str],
    csv_dir: Path | None,
    web_port: int,
) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--host",
        urls[0],
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--loglevel",
        os.environ.get("RTSPIKE_LT_LOCUST_LOGLEVEL", "WARNING"),
        *classes,
    ]
    if args.processes:
        cmd += ["--processes", str(args.processes)]
    if args.warmup:
        cmd += ["--rtspike-warmup", str(args.warmup)]
    if csv_dir is not None:
        cmd += [
            "--headless",
            "--run-time",
            args.run_time,
            "--only-summary",
            "--csv",
            str(csv_dir / "locust"),
            "--html",
            str(csv_dir / "locust.html"),
        ]
    else:
        cmd += ["--web-host", "127.0.0.1", "--web-port", str(web_port)]
        if len(classes) > 1:
            cmd += ["--class-picker"]
    return cmd


def locust_env(
    args: argparse.Namespace, urls: list[str], lgas: int, enumerators: int
) -> dict[str, str]:
    workers = 1
    if args.processes:
        workers = args.processes if args.processes > 0 else (os.cpu_count() or 1)
    return {
        **os.environ,
        "RTSPIKE_SEED_LGAS": str(lgas),
        "RTSPIKE_SEED_ENUMERATORS": str(enumerators),
        "RTSPIKE_LT_HOSTS": ",".join(urls),
        "RTSPIKE_LT_SEND_RATE": str(args.send_rate),
        "RTSPIKE_LT_REPLY_RATE": str(args.reply_rate),
        "RTSPIKE_LT_WORKERS": str(workers),
    }


def _say(text: str) -> None:
    console.print(f"rtspike: {text}", markup=False, highlight=False, soft_wrap=True)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def run_headless(args: argparse.Namespace, transport: str, out: Path) -> int:
    folder = out / "loadtest" / transport
    folder.mkdir(parents=True, exist_ok=True)
    lgas, enumerators = seed_size(args.users, args.lgas)
    servers = Servers([transport], lgas, enumerators, args.redis, folder)
    started = time.time()
    try:
        cmd = locust_command(args, [user_class(transport)], servers.urls, folder, 0)
        _say(
            f"{transport}: {args.users} users for {args.run_time} against {', '.join(servers.urls)}"
        )
        code = subprocess.call(cmd, env=locust_env(args, servers.urls, lgas, enumerators))
    finally:
        servers.stop()
    hdr_path = folder / "locust_hdr.json"
    summary: dict[str, Any] = json.loads(hdr_path.read_text()) if hdr_path.exists() else {}
    (folder / "run.json").write_text(
        json.dumps(
            {
                "transport": transport,
                "user_class": user_class(transport),
                "client": registry.spec(transport).locust_client,
                "users": args.users,
                "spawn_rate": args.spawn_rate,
                "run_time": args.run_time,
                "processes": args.processes,
                "redis": bool(args.redis),
                "servers": len(servers.urls),
                "seed_lgas": lgas,
                "seed_enumerators": enumerators,
                "send_rate": args.send_rate,
                "reply_rate": args.reply_rate,
                "warmup_s": args.warmup,
                "started_at": started,
                "locust_exit_code": code,
                "push_latency_clock": "time.time_ns() at the scheduled send instant (same host)",
                "hdr": summary.get("histograms", []),
            },
            indent=2,
        )
    )
    _say(f"{transport}: results in {folder} (locust exit code {code})")
    return code


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_web_ui(args: argparse.Namespace, transports: list[str]) -> int:
    """Runs until Ctrl-C (or SIGTERM), then stops Locust and the servers it started."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    lgas, enumerators = seed_size(max(args.users, 100), args.lgas)
    log_dir = Path(tempfile.mkdtemp(prefix="rtspike-lt-logs-"))
    servers = Servers(transports, lgas, enumerators, args.redis, log_dir)
    port = args.web_port or free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        cmd = locust_command(args, [user_class(t) for t in transports], servers.urls, None, port)
        proc = subprocess.Popen(cmd, env=locust_env(args, servers.urls, lgas, enumerators))
        _say(f"servers {', '.join(servers.urls)} (logs in {log_dir})")
        _say(
            f"Locust web UI at http://127.0.0.1:{port}/ (HdrHistogram tab; also /hdr); Ctrl-C stops"
        )
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc is not None:
            _stop(proc)
        servers.stop()


def run(args: argparse.Namespace) -> int:
    transports = registry.names() if args.transport == "all" else [args.transport]
    if not args.headless:
        return run_web_ui(args, transports)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out or results.default_root() / f"loadtest-{stamp}"
    codes = [run_headless(args, t, out) for t in transports]
    return max(codes)

"""`rtspike loadtest`: start the server process(es), then Locust against them.

Servers and Locust are separate processes (``python -m rtspike serve`` and
``python -m locust``, both dying with this one): Locust runs on gevent, which must never be
imported into an asyncio process. Headless runs write into ``<out>/loadtest/<transport>/``:
Locust's CSV files and HTML report (prefix ``locust``), the merged microsecond HdrHistograms
(``locust_hdr.csv`` with encoded histograms, ``locust_hdr.json`` with percentiles) and
``run.json``. SIGTERM and Ctrl-C stop Locust and the servers and remove the temporary data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rtspike import preflight
from rtspike.commands.options import port_number
from rtspike.console import console, errors
from rtspike.scenarios import results
from rtspike.scenarios.processes import (
    ServerProcess,
    free_port,
    interrupt_on_sigterm,
    spawn_kwargs,
    start_all,
    terminate,
)
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
        default=None,
        help="seconds from the start to discard from Locust stats and histograms "
        "(default: the ramp time, users / spawn rate; 0 keeps everything)",
    )
    p.add_argument("--lgas", type=int, default=None, help="LGAs in the seed (default: auto)")
    p.add_argument(
        "--web-port", type=port_number, default=None, help="web UI port (default: free port)"
    )
    p.set_defaults(handler=run)


def warmup_s(args: argparse.Namespace) -> float:
    """What to discard: the ramp by default, so totals describe the steady state."""
    if args.warmup is not None:
        return float(args.warmup)
    return round(args.users / args.spawn_rate, 3) if args.spawn_rate > 0 else 0.0


def seed_size(users: int, lgas: int | None) -> tuple[int, int]:
    """Enough seed users that every Locust user logs in as somebody of its own."""
    n_lgas = lgas or max(2, min(20, users // 10))
    return n_lgas, max(10, math.ceil(users / n_lgas))


class Servers:
    """One embedded server, or two on Redis with a shared secret and a private key prefix.
    Data lives in a temporary folder that ``stop`` removes; logs go to ``log_dir``."""

    def __init__(
        self,
        transports: list[str],
        lgas: int,
        enumerators: int,
        redis: str | None,
        log_dir: Path | None,
    ) -> None:
        self.redis = redis
        self.prefix = f"rtspike-lt-{secrets.token_hex(6)}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="rtspike-lt-"))
        env = {
            "RTSPIKE_JWT_SECRET": secrets.token_urlsafe(48),
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
        self.procs = [
            ServerProcess(
                names,
                self.data_dir / f"server-{i}",
                {**env, "RTSPIKE_NODE_ID": f"lt-node-{i}"},
                name=f"server-{i}",
                log_file=None if log_dir is None else log_dir / f"server-{i}.log",
            )
            for i in range(2 if redis else 1)
        ]
        self.urls = [p.base_url for p in self.procs]

    def start(self) -> None:
        try:
            asyncio.run(start_all(self.procs))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop_blocking()
        if self.redis:
            from rtspike.transports.core.redis_keys import delete_prefix  # redis: only with it

            asyncio.run(delete_prefix(self.redis, self.prefix))
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
    if warmup_s(args):
        cmd += ["--rtspike-warmup", str(warmup_s(args))]
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


def run_headless(args: argparse.Namespace, transport: str, out: Path) -> int:
    folder = out / "loadtest" / transport
    folder.mkdir(parents=True, exist_ok=True)
    lgas, enumerators = seed_size(args.users, args.lgas)
    servers = Servers([transport], lgas, enumerators, args.redis, folder)
    started = time.time()
    proc: subprocess.Popen[bytes] | None = None
    try:
        servers.start()
        cmd = locust_command(args, [user_class(transport)], servers.urls, folder, 0)
        _say(
            f"{transport}: {args.users} users for {args.run_time} against {', '.join(servers.urls)}"
        )
        env = locust_env(args, servers.urls, lgas, enumerators)
        proc = subprocess.Popen(cmd, env=env, **spawn_kwargs())  # type: ignore[call-overload]
        code = proc.wait()
    finally:
        if proc is not None:
            terminate(proc)  # SIGTERM: Locust writes its stats; quiet even mid-import
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
                "warmup_s": warmup_s(args),
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


def run_web_ui(args: argparse.Namespace, transports: list[str]) -> int:
    """Runs until Ctrl-C (or SIGTERM), then stops Locust and the servers it started."""
    lgas, enumerators = seed_size(max(args.users, 100), args.lgas)
    port = args.web_port or free_port()
    preflight.check_port("127.0.0.1", port, "--web-port")
    servers = Servers(transports, lgas, enumerators, args.redis, None)
    proc: subprocess.Popen[bytes] | None = None
    try:
        servers.start()
        cmd = locust_command(args, [user_class(t) for t in transports], servers.urls, None, port)
        env = locust_env(args, servers.urls, lgas, enumerators)
        proc = subprocess.Popen(cmd, env=env, **spawn_kwargs())  # type: ignore[call-overload]
        _say(f"servers {', '.join(servers.urls)} (logs in {servers.data_dir}, removed on exit)")
        _say(
            f"Locust web UI at http://127.0.0.1:{port}/ (HdrHistogram tab; also /hdr); Ctrl-C stops"
        )
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc is not None:
            terminate(proc)  # SIGTERM: Locust writes its stats; quiet even mid-import
        servers.stop()


def run(args: argparse.Namespace) -> int:
    transports = registry.names() if args.transport == "all" else [args.transport]
    if args.redis:
        preflight.check_redis(args.redis, "--redis")
    with interrupt_on_sigterm():
        if not args.headless:
            return run_web_ui(args, transports)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out: Path = args.out or results.default_root() / f"loadtest-{stamp}"
        try:
            codes = [run_headless(args, t, out) for t in transports]
        except KeyboardInterrupt:
            errors.print(f"interrupted; partial results in {out}", markup=False)
            return 130
        return max(codes)

"""`rtspike bench core`: how fast the shared core is, before any transport is involved.

Prints auth verifications per second (memory, SQLite and Redis store), durable log appends per
second and catch-up reads per second (SQLite and Redis). These bound what any transport can do.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from rtspike.console import console
from rtspike.transports.core.auth import Authenticator
from rtspike.transports.core.backends import open_log, open_store
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.logging import configure_logging
from rtspike.transports.core.redis_keys import delete_prefix
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.tokens import TokenService
from rtspike.transports.core.users import DEV_PASSWORD, dev_directory

SECRET = "core-bench-secret-0123456789abcdef-0123456789"


@dataclass
class Figure:
    what: str
    backend: str
    rate: float
    unit: str
    note: str = ""


async def _rate(fn: Callable[[], Awaitable[int]], seconds: float) -> float:
    """Run fn repeatedly for about ``seconds``; fn returns how many operations it did."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += await fn()
    return done / (time.perf_counter() - started)


def _settings(tmp: Path, backend: str, redis_url: str | None, prefix: str) -> Settings:
    url = {"memory": "memory://", "sqlite": f"sqlite:///{tmp}/{backend}.db"}.get(
        backend, redis_url or ""
    )
    return Settings(
        jwt_secret=SECRET,
        data_dir=tmp,
        store_url=url,
        log_url=url if backend != "memory" else "memory://",
        redis_prefix=prefix,
        seed_lgas=20,
        seed_enumerators=10,
    )


async def bench_verify(settings: Settings, backend: str, seconds: float) -> Figure:
    users = dev_directory(settings.seed_lgas, settings.seed_enumerators)
    store = open_store(settings)
    await store.start()
    try:
        auth = Authenticator(settings, TokenService(settings), store, users)
        tokens = [
            (
                await auth.login(f"enum.lga-{(i % 20) + 1:02d}.{(i % 10) + 1:03d}", DEV_PASSWORD)
            ).access_token
            for i in range(200)
        ]

        async def verify_batch() -> int:
            for token in tokens:
                await auth.verify_token_full(token)
            return len(tokens)

        rate = await _rate(verify_batch, seconds)
    finally:
        await store.close()
    return Figure(
        "auth verify_token_full",
        backend,
        rate,
        "verifications/s",
        "200 live sessions, 5-step check incl. store lookups",
    )


def _draft(stream: str, n: int) -> Draft:
    return Draft(
        new_id(),
        stream,
        f"sender-{n % 50}",
        "supervisor",
        None,
        "lga-01",
        "x" * 100,
        f"cm-{uuid.uuid4().hex}",
        time.time(),
    )


async def bench_log(log: MessageLog, backend: str, seconds: float) -> list[Figure]:
    await log.start()
    try:
        streams = [f"lga:bench-{i}" for i in range(10)]
        counter = 0

        async def appender(k: int, stop: float) -> int:
            nonlocal counter
            n = 0
            while time.perf_counter() < stop:
                counter += 1
                await log.append(_draft(streams[k % 10], counter))
                n += 1
            return n

        started = time.perf_counter()
        stop = started + seconds
        counts = await asyncio.gather(*(appender(k, stop) for k in range(50)))
        append_rate = sum(counts) / (time.perf_counter() - started)

        async def read_page() -> int:
            events = await log.read_after({s: 0 for s in streams[:3]}, 100)
            return 1 if events else 0

        reads = await _rate(read_page, seconds)
    finally:
        await log.close()
    return [
        Figure("log append (durable, 50 concurrent)", backend, append_rate, "appends/s"),
        Figure(
            "log catch-up read (3 streams, 100 events)",
            backend,
            reads,
            "reads/s",
            f"= {reads * 100:,.0f} events/s",
        ),
    ]


async def run(seconds: float, redis_url: str | None) -> list[Figure]:
    figures: list[Figure] = []
    prefix = f"rtspike-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="rtspike-core-bench-") as tmp:
        backends = ["memory", "sqlite"] + (["redis"] if redis_url else [])
        for backend in backends:
            settings = _settings(Path(tmp), backend, redis_url, prefix)
            figures.append(await bench_verify(settings, backend, seconds))
        for backend in backends[1:]:
            settings = _settings(Path(tmp), backend, redis_url, prefix)
            figures += await bench_log(open_log(settings), backend, seconds)
    if redis_url:
        await delete_prefix(redis_url, prefix)
    return figures


def main(seconds: float, redis_url: str | None) -> int:
    configure_logging("WARNING")
    with console.status("benchmarking the core (auth, log) ..."):
        figures = asyncio.run(run(seconds, redis_url))
    table = Table(title="rtspike core benchmark (one process, this machine)")
    for col in ("measure", "backend", "rate", "unit", "note"):
        table.add_column(col, justify="right" if col == "rate" else "left")
    for f in figures:
        table.add_row(f.what, f.backend, f"{f.rate:,.0f}", f.unit, f.note)
    console.print(table)
    if not redis_url:
        console.print("Redis figures skipped: pass --redis redis://127.0.0.1:6379/0")
    return 0

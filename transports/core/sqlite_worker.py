"""SQLite off the event loop, with group commit.

One writer thread owns the write connection: it drains every write queued while the previous
transaction was committing and commits them together (each in its own SAVEPOINT, so one failing
write does not undo its neighbours). That is what turns thousands of small durable appends per
second into a handful of fsyncs. Reads run on a second thread with its own connection (WAL lets
them proceed while a write commits).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = object()
_MAX_BATCH = 512


def sqlite_path(url: str) -> Path:
    """``sqlite:///abs/path.db`` or ``sqlite://rel/path.db`` -> Path."""
    if not url.startswith("sqlite://"):
        raise ValueError(f"not a sqlite URL: {url}")
    rest = url[len("sqlite://") :]
    return Path(rest[1:] if rest.startswith("//") else rest) if rest else Path("rtspike.db")


class _Lane:
    """One thread, one connection, one queue of jobs."""

    def __init__(self, path: Path, name: str, batch: bool, schema: str) -> None:
        self._path = path
        self._batch = batch
        self._schema = schema
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout=10)

    def submit(self, fn: Callable[[sqlite3.Connection], Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._jobs.put((fn, fut, loop))
        return fut

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        if self._schema:
            conn.executescript(self._schema)
        return conn

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._jobs.get()
                if first is _STOP:
                    return
                jobs = [first]
                while self._batch and len(jobs) < _MAX_BATCH:
                    try:
                        nxt = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        self._jobs.put(_STOP)
                        break
                    jobs.append(nxt)
                self._execute(conn, jobs)
        finally:
            conn.close()

    def _execute(self, conn: sqlite3.Connection, jobs: list[Any]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        if not self._batch:
            for fn, _, _ in jobs:
                try:
                    outcomes.append((True, fn(conn)))
                except Exception as exc:
                    outcomes.append((False, exc))
        else:
            try:
                conn.execute("BEGIN IMMEDIATE")
                for fn, _, _ in jobs:
                    conn.execute("SAVEPOINT job")
                    try:
                        outcomes.append((True, fn(conn)))
                        conn.execute("RELEASE job")
                    except Exception as exc:
                        conn.execute("ROLLBACK TO job")
                        conn.execute("RELEASE job")
                        outcomes.append((False, exc))
                conn.execute("COMMIT")
            except Exception as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                outcomes = [(False, exc)] * len(jobs)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for (_, fut, loop), (ok, value) in zip(jobs, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((fut, ok, value))
        for loop, settled in by_loop.items():
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """One wake-up of the loop per batch (not per job): the batch's senders resume in the same
    loop turn, so their fan-outs share one flush per socket, and the loop is woken (a
    self-pipe write and a GIL hand-off) once instead of once per message."""
    for fut, ok, value in settled:
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


class SqliteWorker:
    """``await write(fn)`` runs fn(conn) inside a (shared) transaction; ``await read(fn)``
    runs it on the reader connection. fn runs on a worker thread and must not touch asyncio."""

    def __init__(self, path: Path, schema: str = "") -> None:
        self.path = path
        self._writer = _Lane(path, f"sqlite-writer:{path.name}", batch=True, schema=schema)
        self._reader = _Lane(path, f"sqlite-reader:{path.name}", batch=False, schema="")
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._writer.start)
        await asyncio.to_thread(self._reader.start)
        self._started = True

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(self._reader.stop)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._writer.submit(fn)
        return result

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._reader.submit(fn)
        return result

"""SQLite for the event loop: writes and key lookups inline, pages and checkpoints on a thread.

Writes run on the loop thread, each in its own short transaction (an INSERT or an UPDATE of a
row or two: in WAL mode with ``synchronous=NORMAL`` a commit appends to the WAL without an
fsync). A writer thread would put two cross-thread wake-ups on the path of every send, and on a
busy machine a wake-up waits for a core: measured at 200 appends/s on a loaded 2-vCPU box, an
append's p99 was 1 ms inline and 35 ms through a writer thread (even handed off once per loop
turn and committed as a group), and the process spent more CPU per append (README,
performance). Lookups by key (a session, a revoked-before time) run inline too, for the same
reason: through the reader thread a token check took 360 us at p50, inline 210 us. What does
block is the WAL checkpoint (the fsyncs), so the write connection never checkpoints by itself:
every ``CHECKPOINT_EVERY`` writes the reader thread runs a PASSIVE checkpoint, which never
blocks a writer. Reads that can be large (catch-up pages) run on that thread too (``read``), on
their own connection.
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
CHECKPOINT_EVERY = 256


def sqlite_path(url: str) -> Path:
    """``sqlite:///abs/path.db`` or ``sqlite://rel/path.db`` -> Path."""
    if not url.startswith("sqlite://"):
        raise ValueError(f"not a sqlite URL: {url}")
    rest = url[len("sqlite://") :]
    return Path(rest[1:] if rest.startswith("//") else rest) if rest else Path("rtspike.db")


class _Lane:
    """One thread, one connection, one queue of jobs (reads and checkpoints)."""

    def __init__(self, path: Path, name: str) -> None:
        self._path = path
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

    def _run(self) -> None:
        try:
            conn = connect(self._path)
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    return
                fn, fut, loop = job
                try:
                    outcome: tuple[bool, Any] = (True, fn(conn))
                except Exception as exc:
                    outcome = (False, exc)
                loop.call_soon_threadsafe(_settle, fut, *outcome)
        finally:
            conn.close()


def connect(path: Path, schema: str = "") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    if schema:
        conn.executescript(schema)
    return conn


def _settle(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.done():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


class SqliteWorker:
    """``await write(fn)`` runs fn(conn) in its own transaction on the loop thread and
    ``await lookup(fn)`` outside one (fn must be a few statements by key, never a scan);
    ``await read(fn)`` runs it on the reader thread, where fn must not touch asyncio."""

    def __init__(self, path: Path, schema: str = "") -> None:
        self.path = path
        self._schema = schema
        self._conn: sqlite3.Connection | None = None
        self._reader = _Lane(path, f"sqlite-reader:{path.name}")
        self._writes = 0
        self._checkpoints: set[asyncio.Future[Any]] = set()
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await asyncio.to_thread(connect, self.path, self._schema)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn = conn
        await asyncio.to_thread(self._reader.start)
        self._started = True

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._checkpoints:
            await asyncio.gather(*self._checkpoints, return_exceptions=True)
        await asyncio.to_thread(self._reader.stop)
        if self._conn is not None:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._conn.close()
            self._conn = None

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._started_conn("write")
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._wrote()
        return result

    async def write_one(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` is one write statement, atomic by itself (its own implicit transaction):
        no BEGIN and COMMIT around it. Cold, each statement is tens of microseconds."""
        conn = self._started_conn("write_one")
        result = fn(conn)
        self._wrote()
        return result

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % CHECKPOINT_EVERY == 0:
            fut = self._reader.submit(_checkpoint)
            self._checkpoints.add(fut)
            fut.add_done_callback(self._checkpoints.discard)

    async def lookup(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._started_conn("lookup")
        return fn(conn)

    def _started_conn(self, what: str) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"SqliteWorker.{what} before start()")
        return self._conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._reader.submit(fn)
        return result

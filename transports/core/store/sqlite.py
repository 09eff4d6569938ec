"""SQLite store: the single-process default, so that a restart keeps sessions valid and
logged-out tokens refused.

Every statement is a lookup or a change by key, run on the loop thread by the worker's one
connection, so writes never interleave (and BEGIN IMMEDIATE serialises them against other
processes on the same file); that is why the check-then-mark of ``use_refresh`` and
``take_ticket`` needs no extra locking. Expired rows are
ignored by every read and deleted now and then by a write that knows the caller's clock.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.sqlite_worker import SqliteWorker, sqlite_path
from rtspike.transports.core.store.base import RefreshUse, Session, Standing, Store, TokenKey

DEFAULT_SESSION_TTL_S = 30 * 24 * 3600.0
DEFAULT_PURGE_INTERVAL_S = 60.0
_IN_CHUNK = 500  # ids per IN (...) list, far below SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_blacklist (
    jti TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_blacklist_exp ON store_blacklist (expires_at);
CREATE TABLE IF NOT EXISTS store_revoked (
    user_id TEXT PRIMARY KEY, before_ts REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_sessions (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
    created_at REAL NOT NULL, last_seen REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_sessions_seen ON store_sessions (last_seen);
CREATE TABLE IF NOT EXISTS store_refresh (
    jti TEXT PRIMARY KEY, session_id TEXT NOT NULL,
    expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_refresh_session ON store_refresh (session_id);
CREATE INDEX IF NOT EXISTS store_refresh_exp ON store_refresh (expires_at);
CREATE TABLE IF NOT EXISTS store_tickets (
    ticket TEXT PRIMARY KEY, payload TEXT NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_tickets_exp ON store_tickets (expires_at);
"""

log = get_logger("rtspike.store")


class SqliteStore(Store):
    def __init__(
        self,
        url: str,
        session_ttl_s: float = DEFAULT_SESSION_TTL_S,
        purge_interval_s: float = DEFAULT_PURGE_INTERVAL_S,
    ) -> None:
        self._worker = SqliteWorker(sqlite_path(url), schema=_SCHEMA)
        self._session_ttl_s = session_ttl_s
        self._purge_interval_s = purge_interval_s
        self._next_purge = 0.0
        self._started = False

    async def start(self) -> None:
        await self._worker.start()
        self._started = True

    async def close(self) -> None:
        self._started = False
        await self._worker.close()

    async def ping(self) -> None:
        if not self._started:
            raise RuntimeError("sqlite store is not started")
        await self._worker.lookup(lambda c: c.execute("SELECT 1").fetchone())

    async def blacklist(self, jti: str, expires_at: float) -> None:
        await self._worker.write(
            lambda c: c.execute(
                "INSERT INTO store_blacklist (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti)"
                " DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)",
                (jti, expires_at),
            )
        )

    async def is_blacklisted(self, jti: str, now: float) -> bool:
        row = await self._worker.lookup(
            lambda c: c.execute(
                "SELECT 1 FROM store_blacklist WHERE jti = ? AND expires_at > ?", (jti, now)
            ).fetchone()
        )
        return row is not None

    async def set_revoked_before(self, user_id: str, ts: float) -> None:
        await self._worker.write(
            lambda c: c.execute(
                "INSERT INTO store_revoked (user_id, before_ts) VALUES (?, ?) ON CONFLICT (user_id)"
                " DO UPDATE SET before_ts = MAX(before_ts, excluded.before_ts)",
                (user_id, ts),
            )
        )

    async def revoked_before(self, user_id: str) -> float:
        row = await self._worker.lookup(
            lambda c: c.execute(
                "SELECT before_ts FROM store_revoked WHERE user_id = ?", (user_id,)
            ).fetchone()
        )
        return float(row[0]) if row else 0.0

    async def standings(self, keys: Sequence[TokenKey], now: float) -> list[Standing]:
        """One reader job for the lot, three IN queries per chunk of ids."""
        if not keys:
            return []

        def run(c: sqlite3.Connection) -> list[Standing]:
            listed: set[str] = set()
            revoked: dict[str, float] = {}
            sessions: dict[str, Session] = {}
            for ids in _chunks(sorted({k.jti for k in keys})):
                listed.update(
                    r[0]
                    for r in c.execute(
                        f"SELECT jti FROM store_blacklist WHERE jti IN ({_marks(ids)})"
                        " AND expires_at > ?",
                        (*ids, now),
                    )
                )
            for ids in _chunks(sorted({k.user_id for k in keys})):
                revoked.update(
                    c.execute(
                        "SELECT user_id, before_ts FROM store_revoked"
                        f" WHERE user_id IN ({_marks(ids)})",
                        ids,
                    )
                )
            for ids in _chunks(sorted({k.session_id for k in keys})):
                for sid, user, created, seen in c.execute(
                    "SELECT id, user_id, created_at, last_seen FROM store_sessions"
                    f" WHERE id IN ({_marks(ids)})",
                    ids,
                ):
                    sessions[sid] = Session(sid, user, created, seen)
            return [
                Standing(
                    k.jti in listed,
                    float(revoked.get(k.user_id, 0.0)),
                    sessions.get(k.session_id),
                )
                for k in keys
            ]

        return await self._worker.lookup(run)

    async def create_session(self, session: Session) -> None:
        await self._worker.write(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO store_sessions (id, user_id, created_at, last_seen)"
                " VALUES (?, ?, ?, ?)",
                (session.id, session.user_id, session.created_at, session.last_seen),
            )
        )

    async def get_session(self, session_id: str) -> Session | None:
        row = await self._worker.lookup(
            lambda c: c.execute(
                "SELECT id, user_id, created_at, last_seen FROM store_sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        )
        if row is None:
            return None
        return Session(id=row[0], user_id=row[1], created_at=row[2], last_seen=row[3])

    async def touch_session(self, session_id: str, now: float) -> None:
        await self.touch_sessions([session_id], now)

    async def touch_sessions(self, session_ids: Sequence[str], now: float) -> None:
        if not session_ids:
            return
        purge = self._purge_due()

        def run(c: sqlite3.Connection) -> None:
            c.executemany(
                "UPDATE store_sessions SET last_seen = MAX(last_seen, ?) WHERE id = ?",
                [(now, sid) for sid in session_ids],
            )
            if purge:
                self._purge(c, now)

        await self._worker.write(run)

    async def end_session(self, session_id: str) -> None:
        def run(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM store_sessions WHERE id = ?", (session_id,))
            c.execute("DELETE FROM store_refresh WHERE session_id = ?", (session_id,))

        await self._worker.write(run)

    async def add_refresh(self, jti: str, session_id: str, expires_at: float) -> None:
        await self._worker.write(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO store_refresh (jti, session_id, expires_at, used)"
                " VALUES (?, ?, ?, 0)",
                (jti, session_id, expires_at),
            )
        )

    async def use_refresh(self, jti: str, now: float) -> tuple[RefreshUse, str | None]:
        purge = self._purge_due()

        def run(c: sqlite3.Connection) -> tuple[RefreshUse, str | None]:
            row = c.execute(
                "SELECT r.session_id, r.used FROM store_refresh r"
                " JOIN store_sessions s ON s.id = r.session_id"
                " WHERE r.jti = ? AND r.expires_at > ?",
                (jti, now),
            ).fetchone()
            if purge:
                self._purge(c, now)
            if row is None:
                return RefreshUse.UNKNOWN, None
            session_id, used = row
            if used:
                return RefreshUse.REUSED, session_id
            c.execute("UPDATE store_refresh SET used = 1 WHERE jti = ?", (jti,))
            return RefreshUse.OK, session_id

        return await self._worker.write(run)

    async def put_ticket(self, ticket: str, payload: str, expires_at: float) -> None:
        await self._worker.write(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO store_tickets (ticket, payload, expires_at)"
                " VALUES (?, ?, ?)",
                (ticket, payload, expires_at),
            )
        )

    async def take_ticket(self, ticket: str, now: float) -> str | None:
        purge = self._purge_due()

        def run(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "DELETE FROM store_tickets WHERE ticket = ? RETURNING payload, expires_at",
                (ticket,),
            ).fetchone()
            if purge:
                self._purge(c, now)
            if row is None or row[1] <= now:
                return None
            return str(row[0])

        return await self._worker.write(run)

    def _purge_due(self) -> bool:
        """At most one purge per interval (wall clock), so hot paths stay a single statement."""
        mono = time.monotonic()
        if mono < self._next_purge:
            return False
        self._next_purge = mono + self._purge_interval_s
        return True

    def _purge(self, c: sqlite3.Connection, now: float) -> None:
        """Runs inside the caller's write, measured against the caller's clock."""
        counts = [
            c.execute("DELETE FROM store_blacklist WHERE expires_at <= ?", (now,)).rowcount,
            c.execute("DELETE FROM store_refresh WHERE expires_at <= ?", (now,)).rowcount,
            c.execute("DELETE FROM store_tickets WHERE expires_at <= ?", (now,)).rowcount,
            c.execute(
                "DELETE FROM store_sessions WHERE last_seen <= ?", (now - self._session_ttl_s,)
            ).rowcount,
        ]
        if any(counts):
            names = ("blacklist", "refresh", "tickets", "sessions")
            log.debug(
                "store.purged", backend="sqlite", removed=dict(zip(names, counts, strict=True))
            )


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def _marks(ids: list[str]) -> str:
    return ",".join("?" * len(ids))

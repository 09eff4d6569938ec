"""The default durable log: one SQLite file in WAL mode.

Every append is one statement, so one short implicit transaction on the loop thread: it takes
the next seq from the stream head, inserts the row (the unique index is the idempotency check)
and a trigger moves the head (see ``SqliteWorker``: cheaper than a thread hop; checkpoints run
on the reader thread). Catch-up pages are read on the reader thread and never wait for a commit
(WAL); a stream's head is a lookup by key, inline.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.log.merge import merge_streams
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.sqlite_worker import SqliteWorker, sqlite_path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    stream TEXT PRIMARY KEY,
    head INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_role TEXT NOT NULL,
    recipient TEXT,
    lga_id TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    sent_at_ns INTEGER,
    PRIMARY KEY (stream, seq),
    UNIQUE (sender, client_msg_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS messages_advance_head AFTER INSERT ON messages BEGIN
    INSERT INTO streams (stream, head) VALUES (NEW.stream, NEW.seq)
    ON CONFLICT (stream) DO UPDATE SET head = excluded.head;
END;
"""

_COLUMNS = (
    "stream, seq, id, sender, sender_role, recipient, lga_id, body, client_msg_id, sent_at, "
    "sent_at_ns"
)
# One statement, so one implicit transaction: the next seq, the row and (by the trigger) the
# stream head. A write statement takes the write lock before it reads the head.
_APPEND = (
    f"INSERT INTO messages ({_COLUMNS}) VALUES "
    "(?, coalesce((SELECT head FROM streams WHERE stream = ?), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING seq"
)
_FIND = f"SELECT {_COLUMNS} FROM messages WHERE sender = ? AND client_msg_id = ?"
_READ = f"SELECT {_COLUMNS} FROM messages WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?"
_Row = tuple[str, int, str, str, str, str | None, str, str, str, float, int | None]

log = get_logger("rtspike.log")


def _event(row: _Row, epoch: str) -> MessageEvent:
    stream, seq, id_, sender, role, recipient, lga_id, body, cmid, sent_at, sent_at_ns = row
    return MessageEvent(
        id=id_,
        stream=stream,
        seq=seq,
        epoch=epoch,
        sender=sender,
        sender_role=role,
        recipient=recipient,
        lga_id=lga_id,
        body=body,
        client_msg_id=cmid,
        sent_at=sent_at,
        sent_at_ns=sent_at_ns,
    )


def _row_sent_at(row: _Row) -> float:
    return row[9]


class SqliteLog(MessageLog):
    def __init__(self, url: str) -> None:
        self._worker = SqliteWorker(sqlite_path(url), schema=_SCHEMA)
        self._epoch = ""
        self._open = False

    @property
    def _worker_ready(self) -> SqliteWorker:
        """A closed worker's threads are gone: a job sent there would wait forever."""
        if not self._open:
            raise RuntimeError("SqliteLog is not started")
        return self._worker

    async def start(self) -> None:
        await self._worker.start()
        self._open = True
        candidate = new_id()

        def init_epoch(conn: sqlite3.Connection) -> str:
            conn.execute("INSERT OR IGNORE INTO meta (id, epoch) VALUES (1, ?)", (candidate,))
            row = conn.execute("SELECT epoch FROM meta WHERE id = 1").fetchone()
            return str(row[0])

        self._epoch = await self._worker_ready.write(init_epoch)
        log.info(
            "log.started",
            backend="sqlite",
            path=str(self._worker.path),
            epoch=self._epoch,
            new=self._epoch == candidate,
        )

    async def close(self) -> None:
        self._open = False
        await self._worker.close()

    async def ping(self) -> None:
        await self._worker_ready.lookup(lambda conn: conn.execute("SELECT 1").fetchone())

    async def epoch(self) -> str:
        return self._epoch

    async def append(self, draft: Draft) -> tuple[MessageEvent, bool]:
        def job(conn: sqlite3.Connection) -> tuple[_Row | None, int]:
            try:
                row = conn.execute(
                    _APPEND,
                    (
                        draft.stream,
                        draft.stream,
                        draft.id,
                        draft.sender,
                        draft.sender_role,
                        draft.recipient,
                        draft.lga_id,
                        draft.body,
                        draft.client_msg_id,
                        draft.sent_at,
                        draft.sent_at_ns,
                    ),
                ).fetchone()
            except sqlite3.IntegrityError:
                # A retry of a stored message (the statement was rolled back as a whole).
                found = conn.execute(_FIND, (draft.sender, draft.client_msg_id)).fetchone()
                if found is None:
                    raise
                return found, 0
            return None, int(row[0])

        found, seq = await self._worker_ready.write_one(job)
        if found is not None:
            return _event(found, self._epoch), False
        return draft.to_event(seq, self._epoch), True

    async def read_after(self, positions: Mapping[str, int], limit: int) -> list[MessageEvent]:
        if limit <= 0 or not positions:
            return []
        wanted = list(positions.items())
        epoch = self._epoch

        def job(conn: sqlite3.Connection) -> list[MessageEvent]:
            slices = [
                conn.execute(_READ, (stream, after, limit)).fetchall() for stream, after in wanted
            ]
            return [_event(row, epoch) for row in merge_streams(slices, limit, key=_row_sent_at)]

        return await self._worker_ready.read(job)

    async def head(self, stream: str) -> int:
        row = await self._worker_ready.lookup(
            lambda conn: conn.execute(
                "SELECT head FROM streams WHERE stream = ?", (stream,)
            ).fetchone()
        )
        return int(row[0]) if row else 0

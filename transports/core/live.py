"""The live connections of one process: who is attached to which stream, catch-up on attach
and after a gap, and ending connections (slow consumer, revoked, expired, shutdown).

The hub decides *what* may be read and sent; this module makes sure that what may be read
reaches each connection exactly once, in order, and that nobody stays connected on a dead token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rtspike.transports.core.connection import LiveConnection
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode, close_code_for
from rtspike.transports.core.fanout import Attachment, Attachments, AttachState, Feed
from rtspike.transports.core.log.base import MessageLog
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.metrics import Metrics
from rtspike.transports.core.principal import Principal

__all__ = [
    "PAGE",
    "BatchVerifier",
    "LiveBounds",
    "LiveRegistry",
    "too_many_connections",
]

log = get_logger("rtspike.live")
PAGE = 200
RECHECK_CHUNK = 32
"""Connections re-verified per loop turn: one chunk holds the loop for its store lookup (and
session touches), so it bounds how long a broadcast can wait behind the re-check. 1,000
connections on SQLite: 256 held it up to ~3 ms at a time (a tail latency of its own every 15
s), 32 holds it ~0.5 ms, for ~2.5 ms more CPU per re-check."""

BatchVerifier = Callable[[Sequence[Principal]], Awaitable[list[AppError | None]]]
"""Each principal's refusal, or None (``Authenticator.verify_principals``)."""


@dataclass(frozen=True)
class LiveBounds:
    """What one client can make this process hold for its live connections."""

    queue_bound: int = 1000
    catchup_buffer: int = 1000
    stall_timeout_s: float = 10.0
    per_user: int = 20
    per_session: int = 10


def too_many_connections(limit: int, per: str) -> AppError:
    return AppError(
        ErrorCode.RATE_LIMITED,
        f"Too many open connections for this {per}; close one and retry",
        details={"reason": "too_many_connections", "per": per, "limit": limit},
    )


class LiveRegistry:
    """Exists so that no adapter has to get delivery right on its own: the per-process table of
    live connections and the streams they follow.

    Guarantees: an attached connection first catches up from the log, then receives live
    events with no gap, duplicate or reordering (a gap is read back from the log before
    anything after it goes out); a connection over its queue bound, or whose catch-up stalls,
    is ended as a slow consumer instead of slowing the others; per-user and per-session
    connection counts stay within ``LiveBounds``; ``revoke_matching`` and ``recheck`` end the
    connections whose session or token is no longer valid.
    """

    def __init__(
        self,
        message_log: MessageLog,
        metrics: Metrics,
        bounds: LiveBounds,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._log = message_log
        self._metrics = metrics
        self._bounds = bounds
        self._pace = max(1, bounds.queue_bound // 2)
        self._clock = clock
        self._feeds: dict[str, Feed] = {}
        self._by_conn: dict[int, Attachment] = {}
        self._by_user: dict[str, set[Attachment]] = {}
        self._atts = Attachments(self._start_sync, self._overflow, bounds.catchup_buffer)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._flushed: dict[str, int] = {}

    @property
    def count(self) -> int:
        return len(self._by_conn)

    def admit(self, principal: Principal) -> None:
        """Refuse a connection over the per-user or per-session limit (counted on this node)."""
        mine = self._by_user.get(principal.user_id, ())
        if len(mine) >= self._bounds.per_user:
            raise too_many_connections(self._bounds.per_user, "user")
        same = sum(1 for a in mine if a.conn.principal.session_id == principal.session_id)
        if same >= self._bounds.per_session:
            raise too_many_connections(self._bounds.per_session, "session")

    def attach(
        self, conn: LiveConnection, streams: list[str], epoch: str, positions: dict[str, int]
    ) -> None:
        principal = conn.principal
        self.admit(principal)
        att = Attachment(conn, tuple(streams), epoch, positions)
        self._by_conn[id(conn)] = att
        self._by_user.setdefault(principal.user_id, set()).add(att)
        for stream in att.streams:
            self._feed(stream).subscribers.add(att)
        delay = max(0.0, principal.exp - self._clock())
        att.timer = asyncio.get_running_loop().call_later(
            delay, self._revoked, att, ErrorCode.TOKEN_EXPIRED, "expired"
        )
        self._metrics.connections.labels(conn.transport).inc()
        self._metrics.connects.labels(conn.transport).inc()
        log.info("realtime.connect", transport=conn.transport, code=None, **principal.log_fields())
        self._start_sync(att)

    def detach(self, conn: LiveConnection, code: int | None = None, reason: str = "") -> None:
        att = self._by_conn.pop(id(conn), None)
        if att is None:
            return
        att.state = AttachState.CLOSED
        if att.timer is not None:
            att.timer.cancel()
        for stream in att.streams:
            feed = self._feeds.get(stream)
            if feed is not None:
                feed.subscribers.discard(att)
        users = self._by_user.get(conn.principal.user_id)
        if users is not None:
            users.discard(att)
            if not users:
                del self._by_user[conn.principal.user_id]
        self._metrics.connections.labels(conn.transport).dec()
        log.info(
            "realtime.disconnect",
            transport=conn.transport,
            code=code,
            reason=reason,
            **conn.principal.log_fields(),
        )

    def disconnect_all(self, why: AppError) -> int:
        atts = list(self._by_conn.values())
        for att in atts:
            self._end(att, why)
        return len(atts)

    def cut_slow_consumer(self, conn: LiveConnection) -> None:
        """An adapter found ``conn``'s socket taking nothing for ``stall_timeout_s``: ended,
        logged and counted like a connection over its queue bound, whichever noticed first."""
        att = self._by_conn.get(id(conn))
        if att is not None and not att.closed:
            self._overflow(att)

    def deliver(self, event: MessageEvent) -> None:
        """A publication from the bus: hand it to the stream's feed, if anyone listens here."""
        feed = self._feeds.get(event.stream)
        if feed is not None and feed.subscribers:
            feed.publish(event)

    def resync_all(self) -> None:
        """Publications may have been missed (bus outage): every attachment re-reads the log."""
        for att in list(self._by_conn.values()):
            self._start_sync(att)

    def revoke_matching(self, msg: dict[str, Any]) -> None:
        """A logout ("session") or revoke-all ("user") announced on the bus by any process."""
        for att in list(self._by_user.get(str(msg.get("user_id")), ())):
            p = att.conn.principal
            hit = (
                msg.get("kind") == "session"
                and (p.session_id == msg.get("sid") or p.jti == msg.get("jti"))
            ) or (msg.get("kind") == "user" and p.iat < float(msg.get("before", 0)))
            if hit:
                # A session that ended by itself (reuse, inactivity, absolute limit) needs a
                # new login; a logout or revoke-all is the token's revocation.
                ended = msg.get("kind") == "session" and msg.get("reason") not in (
                    None,
                    "logged out",
                )
                code = ErrorCode.SESSION_EXPIRED if ended else ErrorCode.TOKEN_REVOKED
                self._revoked(att, code, str(msg.get("kind")))

    async def recheck(self, verify: BatchVerifier) -> None:
        """Defence in depth: control publications can be missed; re-verify every connection,
        ``RECHECK_CHUNK`` at a time (one store lookup each), yielding between chunks so that
        the deliveries of other broadcasts never wait behind the whole re-check."""
        atts = list(self._by_conn.values())
        for start in range(0, len(atts), RECHECK_CHUNK):
            chunk = atts[start : start + RECHECK_CHUNK]
            try:
                refusals = await verify([att.conn.principal for att in chunk])
            except Exception as exc:
                log.error("realtime.recheck_failed", error=type(exc).__name__)
                continue
            for att, refusal in zip(chunk, refusals, strict=True):
                if refusal is None or att.closed:
                    continue
                # A refusal that is not about the token itself still ends this token's
                # connection the same way: reconnect with a fresh one and be judged again.
                code = refusal.code
                same = close_code_for(code) is CloseCode.TOKEN_EXPIRED
                self._revoked(att, code if same else ErrorCode.TOKEN_REVOKED, "recheck")
            await asyncio.sleep(0)

    def flush_metrics(self) -> None:
        """Deliveries are counted in plain ints on the hot path; publish them on scrape."""
        for transport, total in self._atts.delivered.items():
            delta = total - self._flushed.get(transport, 0)
            if delta:
                self._metrics.deliveries.labels(transport).inc(delta)
                self._flushed[transport] = total

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for feed in self._feeds.values():
            await feed.close()

    def _feed(self, stream: str) -> Feed:
        feed = self._feeds.get(stream)
        if feed is None:
            feed = self._feeds[stream] = Feed(stream, self._read_gap, self._atts)
        return feed

    async def _read_gap(self, stream: str, after: int, upto: int) -> list[MessageEvent]:
        events = await self._log.read_after({stream: after}, max(1, upto - after))
        return [e for e in events if e.seq <= upto]

    def _start_sync(self, att: Attachment) -> None:
        if att.state is AttachState.SYNCING or att.state is AttachState.CLOSED:
            return
        att.state = AttachState.SYNCING
        task = asyncio.get_running_loop().create_task(self._sync(att))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync(self, att: Attachment) -> None:
        replayed = 0
        try:
            while not att.closed:
                events = await self._log.read_after(att.positions, PAGE)
                for event in events:
                    if event.epoch != att.epoch:
                        att.epoch, att.positions = event.epoch, {}
                    if event.seq != att.positions.get(event.stream, 0) + 1:
                        continue
                    att.positions[event.stream] = event.seq
                    replayed += 1
                    if not att.conn.push(event):
                        self._overflow(att)
                        return
                    if replayed % self._pace == 0:
                        # A page can be longer than the queue bound: pace within it too.
                        if not await self._drained(att):
                            return
                if len(events) < PAGE:
                    break
                if not await self._drained(att):
                    return
        except Exception as exc:
            log.error(
                "realtime.catch_up_failed",
                transport=att.conn.transport,
                error=type(exc).__name__,
                **att.conn.principal.log_fields(),
            )
            self._end(att, AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "Catch-up failed; reconnect."))
            return
        finally:
            if att.state is AttachState.SYNCING:
                att.state = AttachState.PENDING
        if replayed:
            self._metrics.caught_up.labels(att.conn.transport).inc(replayed)
            log.info(
                "message.caught_up",
                transport=att.conn.transport,
                count=replayed,
                **att.conn.principal.log_fields(),
            )
        if not att.closed:
            self._atts.go_live(att)

    async def _drained(self, att: Attachment) -> bool:
        """Wait for the reader to take what it was given, at most ``stall_timeout_s``: a
        reader that stalls its catch-up is cut as a slow consumer (``SLOW_CONSUMER``); its
        messages stay in the log for its next connection."""
        try:
            async with asyncio.timeout(self._bounds.stall_timeout_s):
                await att.conn.drain()
        except TimeoutError:
            self._overflow(att)
            return False
        return not att.closed

    def _overflow(self, att: Attachment) -> None:
        log.warning(
            "realtime.slow_consumer",
            transport=att.conn.transport,
            code=int(CloseCode.SLOW_CONSUMER),
            **att.conn.principal.log_fields(),
        )
        self._metrics.disconnects.labels(att.conn.transport, "slow_consumer").inc()
        self._end(att, AppError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and catch up."))

    def _revoked(self, att: Attachment, code: ErrorCode, why: str) -> None:
        """The token stopped being valid: ``code`` says how (expired or revoked) and reaches
        the client as data; ``why`` (expired, session, user, recheck) is for logs and metrics."""
        error = AppError(code, _TOKEN_ENDED.get(code, _TOKEN_ENDED[ErrorCode.TOKEN_REVOKED]))
        log.info(
            "realtime.revoked",
            transport=att.conn.transport,
            reason=why,
            code=error.close_code,
            error=code.value,
            **att.conn.principal.log_fields(),
        )
        self._metrics.disconnects.labels(att.conn.transport, f"revoked_{why}").inc()
        self._end(att, error)

    def _end(self, att: Attachment, why: AppError) -> None:
        if att.closed:
            return
        att.conn.close(why)
        self.detach(att.conn, why.close_code, why.message)


_TOKEN_ENDED = {
    ErrorCode.TOKEN_EXPIRED: "The token expired; reconnect with a new token.",
    ErrorCode.TOKEN_REVOKED: "The token was revoked; log in again or reconnect with a new token.",
    ErrorCode.SESSION_EXPIRED: "The session has ended; log in again.",
}

"""The transport-agnostic engine every adapter calls: authenticate, send, catch up, attach a
live connection, and end connections whose token stopped being valid.

Adapters translate wire frames into these calls and back; nothing here knows about HTTP,
Socket.IO or WebSocket framing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from rtspike.transports.core.auth import Authenticator
from rtspike.transports.core.bus.base import CONTROL_TOPIC, MESSAGE_TOPIC, Bus
from rtspike.transports.core.connection import LiveConnection
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent, parse_send
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.live import PAGE, LiveBounds, LiveRegistry
from rtspike.transports.core.log.base import Draft, MessageLog
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.metrics import Metrics
from rtspike.transports.core.policy import Policy
from rtspike.transports.core.principal import Principal
from rtspike.transports.core.ratelimit import LogBudget, RateLimiter
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.store.base import Store

__all__ = [
    "SHUTTING_DOWN",
    "Hub",
]

log = get_logger("rtspike.hub")
# Own publications kept to be recognised when the bus hands them back (same bytes object, so an
# in-process bus only); a networked bus hands back copies, and these just age out.
OWN_PUBLICATIONS = 64
SHUTTING_DOWN = "The server is restarting; reconnect in a moment."


class Hub:
    """The one object every adapter and the REST API talk to, so that all transports share a
    single rule for who may connect, what a send does and what a reconnect gets back.

    Guarantees: a send is checked by ``Policy``, rate-limited, appended to the durable log and
    only then published and acknowledged (an ack means it will not be lost); every live
    connection receives what it may read exactly once, in order, from its cursor on (via
    ``LiveRegistry``); a connection whose token is logged out, revoked or expired is closed
    within the recheck interval, on every node (the bus carries the announcement); ``stop``
    closes every live connection with a restart code so clients reconnect elsewhere.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        message_log: MessageLog,
        bus: Bus,
        auth: Authenticator,
        policy: Policy,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.log = message_log
        self.bus = bus
        self.auth = auth
        self.policy = policy
        self.metrics = metrics or Metrics()
        self._clock = clock
        self.epoch = ""
        bounds = LiveBounds(
            queue_bound=settings.queue_bound,
            catchup_buffer=settings.catchup_buffer,
            stall_timeout_s=settings.stall_timeout_s,
            per_user=settings.max_connections_per_user,
            per_session=settings.max_connections_per_session,
        )
        self.live = LiveRegistry(message_log, self.metrics, bounds, clock)
        self._limiter = RateLimiter(settings.send_rate_per_s, settings.send_burst)
        self._log_budget = LogBudget(settings.log_lines_per_client, settings.log_interval_s)
        self._recheck: asyncio.Task[None] | None = None
        self._own: deque[tuple[bytes, MessageEvent]] = deque(maxlen=OWN_PUBLICATIONS)
        auth.announce = self._announce

    # lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.store.start()
        await self.log.start()
        self.epoch = await self.log.epoch()
        await self.bus.start(self._on_bus, self._on_bus_reconnect)
        self._recheck = asyncio.get_running_loop().create_task(self._recheck_loop())

    async def stop(self) -> None:
        self.disconnect_all(AppError(ErrorCode.TRANSPORT_UNAVAILABLE, SHUTTING_DOWN))
        if self._recheck is not None:
            self._recheck.cancel()
        await self.live.close()
        await self.bus.close()
        await self.log.close()
        await self.store.close()

    # authentication ------------------------------------------------------------------------
    async def authenticate(self, token: str | None, transport: str) -> Principal:
        """verify_token_full + may this role connect; every refusal logged with its code."""
        try:
            principal = await self.auth.verify_token_full(token)
            self.policy.check_connect(principal)
        except AppError as exc:
            self._auth_failed(transport, exc, None)
            raise
        return principal

    async def authenticate_ticket(self, ticket: str | None, transport: str) -> Principal:
        try:
            principal = await self.auth.redeem_ticket(ticket)
            self.policy.check_connect(principal)
        except AppError as exc:
            self._auth_failed(transport, exc, None)
            raise
        return principal

    def _auth_failed(self, transport: str, exc: AppError, principal: Principal | None) -> None:
        self.metrics.auth_failures.labels(transport, exc.code.value).inc()
        fields = principal.log_fields() if principal else {}
        log.warning(
            "realtime.auth_failed",
            transport=transport,
            code=exc.code.value,
            reason=exc.message,
            **fields,
        )

    def bad_frame(
        self, transport: str, exc: AppError, principal: Principal | None = None, **extra: Any
    ) -> None:
        """One place that counts and logs refused frames, for every adapter."""
        self.metrics.errors.labels(transport, exc.code.value).inc()
        self.log_refusal("realtime.bad_frame", transport, exc, principal, **extra)

    def log_refusal(
        self,
        event: str,
        transport: str,
        exc: AppError,
        principal: Principal | None = None,
        client: str | None = None,
        **extra: Any,
    ) -> None:
        """Refusals a client causes are logged within its log budget: a flood of bad frames
        costs one summary line per interval, not one line per frame."""
        fields = principal.log_fields() if principal else {}
        key = principal.user_id if principal else f"client:{client or transport}"
        allowed, suppressed = self._log_budget.allow(key, time.monotonic())
        if suppressed:
            log.warning(
                "realtime.log_suppressed",
                transport=transport,
                suppressed=suppressed,
                interval_s=self.settings.log_interval_s,
                **fields,
            )
        if allowed:
            log.info(
                event,
                transport=transport,
                code=exc.code.value,
                reason=exc.message,
                **extra,
                **fields,
            )

    def streams_for(self, principal: Principal) -> list[str]:
        return self.policy.readable_streams(principal)

    # sending -----------------------------------------------------------------------------
    async def send(self, principal: Principal, raw: Any, transport: str) -> MessageEvent:
        """Validate, authorize, append (the durability point), publish. Idempotent on
        client_msg_id: a retry returns the stored event and publishes nothing new."""
        started = time.perf_counter()
        try:
            self.policy.check_connect(principal)
            if not self._limiter.allow(principal.user_id, time.monotonic()):
                raise AppError(
                    ErrorCode.RATE_LIMITED,
                    "too many messages; slow down",
                    details={"rate_per_s": self.settings.send_rate_per_s},
                )
            msg = parse_send(raw, self.settings.max_message_bytes)
            try:
                route = self.policy.route(principal, msg, transport)
            except AppError as exc:
                if exc.code is ErrorCode.TEAM_BOUNDARY_VIOLATION:
                    self.metrics.boundary_violations.labels(transport).inc()
                raise
            draft = Draft(
                id=new_id(),
                stream=route.stream,
                sender=principal.user_id,
                sender_role=principal.role.value,
                recipient=route.recipient,
                lga_id=principal.lga_id,
                body=msg.body,
                client_msg_id=msg.client_msg_id,
                sent_at=self._clock(),
                sent_at_ns=msg.sent_at_ns,
            )
            event, created = await self.log.append(draft)
        except AppError as exc:
            self.metrics.errors.labels(transport, exc.code.value).inc()
            if exc.code is not ErrorCode.TEAM_BOUNDARY_VIOLATION:
                self.log_refusal("message.refused", transport, exc, principal)
            raise
        if created:
            data = event.wire().encode()
            self._own.append((data, event))
            await self._publish(MESSAGE_TOPIC, data)
        # After the fan-out: with a bus in this process the deliveries are written in the
        # next loop turn, and a timer due now runs after that turn's callbacks (the count, the
        # log line and the histogram are off the path to the receivers' sockets).
        asyncio.get_running_loop().call_later(
            0, self._sent, event, created, transport, principal, time.perf_counter() - started
        )
        return event

    def _sent(
        self,
        event: MessageEvent,
        created: bool,
        transport: str,
        principal: Principal,
        elapsed_s: float,
    ) -> None:
        if created:
            self.metrics.messages.labels(transport).inc()
            log.info(
                "message.sent",
                transport=transport,
                id=event.id,
                stream=event.stream,
                seq=event.seq,
                recipient=event.recipient,
                **principal.log_fields(),
            )
        self.metrics.send_seconds.labels(transport).observe(elapsed_s)

    async def _publish(self, topic: str, data: bytes) -> None:
        try:
            await self.bus.publish(topic, data)
        except Exception as exc:
            # The message is in the log: receivers find the gap by seq and read it back.
            log.error("bus.publish_failed", topic=topic, error=str(exc))

    # reading -----------------------------------------------------------------------------
    def _positions(self, principal: Principal, cursor: Cursor) -> dict[str, int]:
        streams = self.streams_for(principal)
        return {s: cursor.after(s, self.epoch) for s in streams}

    async def catch_up(
        self,
        principal: Principal,
        cursor: str | Cursor | None,
        limit: int = PAGE,
        transport: str = "rest",
    ) -> tuple[list[MessageEvent], Cursor, bool]:
        """Polling and resume: visible events after the cursor, the cursor after them, and
        whether more are waiting."""
        self.policy.check_connect(principal)
        cur = cursor if isinstance(cursor, Cursor) else Cursor.decode(cursor)
        await self._refresh_epoch()
        positions = self._positions(principal, cur)
        limit = max(1, min(limit, 1000))
        events = await self.log.read_after(positions, limit)
        nxt = Cursor(self.epoch, positions)
        for event in events:
            nxt.advance(event.stream, event.seq, event.epoch)
        if events:
            self.metrics.caught_up.labels(transport).inc(len(events))
            log.info(
                "message.caught_up",
                transport=transport,
                count=len(events),
                **principal.log_fields(),
            )
        return events, nxt, len(events) >= limit

    async def _refresh_epoch(self) -> None:
        self.epoch = await self.log.epoch()

    # live connections --------------------------------------------------------------------
    async def attach(self, conn: LiveConnection, cursor: str | Cursor | None) -> Cursor:
        """Register, replay what the cursor has not seen, then go live. Returns the cursor as
        of registration (adapters that expose cursors start from it)."""
        cur = cursor if isinstance(cursor, Cursor) else Cursor.decode(cursor)
        await self._refresh_epoch()
        positions = self._positions(conn.principal, cur)
        start = Cursor(self.epoch, dict(positions))
        self.live.attach(conn, self.streams_for(conn.principal), self.epoch, positions)
        return start

    def admit(self, principal: Principal) -> None:
        """Raise RATE_LIMITED when this principal may not open another connection (adapters
        that can still answer in plain HTTP ask before upgrading; attach asks again)."""
        self.live.admit(principal)

    def detach(self, conn: LiveConnection, code: int | None = None, reason: str = "") -> None:
        self.live.detach(conn, code, reason)

    def cut_slow_consumer(self, conn: LiveConnection) -> None:
        """For an adapter whose write path detects a stalled peer itself (a stall timeout):
        the cut is then ended, logged and counted as every other slow-consumer cut."""
        self.live.cut_slow_consumer(conn)

    def disconnect_all(self, why: AppError) -> int:
        """End every live connection (fault injection, maintenance); returns how many. Each
        client is told ``why`` (its code and close code) before its connection ends."""
        return self.live.disconnect_all(why)

    @property
    def connection_count(self) -> int:
        return self.live.count

    def flush_metrics(self) -> None:
        self.live.flush_metrics()

    # bus ---------------------------------------------------------------------------------
    def _on_bus(self, topic: str, data: bytes) -> None:
        try:
            if topic == MESSAGE_TOPIC:
                self.live.deliver(self._own_event(data) or MessageEvent.from_wire(data))
            elif topic == CONTROL_TOPIC:
                self.live.revoke_matching(json.loads(data))
        except Exception as exc:
            log.error("bus.bad_publication", topic=topic, error=str(exc))

    def _own_event(self, data: bytes) -> MessageEvent | None:
        """The event this hub just published, when the bus hands back the very same bytes: no
        second parse and validation of what was built here a loop turn ago."""
        for i, (sent, event) in enumerate(self._own):
            if sent is data:
                del self._own[i]
                return event
        return None

    async def _on_bus_reconnect(self) -> None:
        """Publications may have been missed: make every live attachment re-read the log."""
        await self._refresh_epoch()
        self.live.resync_all()

    # revocation --------------------------------------------------------------------------
    async def logout(self, principal: Principal) -> None:
        await self.auth.logout(principal)

    async def revoke_all(self, principal: Principal) -> float:
        return await self.auth.revoke_all(principal)

    async def _announce(self, msg: dict[str, Any]) -> None:
        """Every session end and revoke-all, to every node (this one included) over the bus."""
        await self._publish(CONTROL_TOPIC, json.dumps(msg).encode())

    async def _recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.recheck_interval_s)
            await self.live.recheck(self.auth.verify_principals)

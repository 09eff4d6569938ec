"""The transport-agnostic resilient client: one state machine over any registered transport.

``connecting -> connected`` normally; on a drop it reconnects with capped exponential backoff
and full jitter; after ``max_failures`` failed connects, or at once when the realtime route is
refused while REST answers, it goes ``degraded``: REST polling on a growing schedule (5, 10,
30, 60 s by default), probing the transport after every poll and returning to ``connected``
when it works. Terminal refusals (the terminal close-code range, AUTH_REQUIRED after a failed
refresh, FORBIDDEN_ROLE) end in ``disconnected``. Whatever path an event takes, the handler sees it
exactly once, in per-stream order (see resilient_delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Sequence
from typing import Any

import httpx

from rtspike.transports import registry
from rtspike.transports.clients.base import MessageHandler, RealtimeClient
from rtspike.transports.clients.resilient.delivery import Delivery, GapUnfilled, full_jitter
from rtspike.transports.clients.resilient.rest import (
    EXPIRED_CODES,
    RestApi,
    SessionTokens,
    TokenKeeper,
    TokenProvider,
    static_token,
)
from rtspike.transports.clients.resilient.state import (
    POLL_SCHEDULE_S,
    Event,
    State,
    StateCallback,
    StateTracker,
    Terminal,
)
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode, should_reconnect
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.resilient")

TERMINAL_CODES = frozenset({ErrorCode.AUTH_REQUIRED, ErrorCode.FORBIDDEN_ROLE})
FALLBACK_CODES = frozenset({ErrorCode.TRANSPORT_UNAVAILABLE, ErrorCode.INTERNAL})


class ResilientClient:
    """``time_scale`` multiplies every delay (poll schedule and backoff) so that tests and
    demos run the real schedule in seconds; ``cursor`` resumes a previous session."""

    def __init__(
        self,
        base_url: str,
        transport: str,
        token_provider: TokenProvider,
        on_message: MessageHandler,
        on_state: StateCallback | None = None,
        poll_schedule: Sequence[float] = POLL_SCHEDULE_S,
        time_scale: float = 1.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 15.0,
        max_failures: int = 3,
        http: httpx.AsyncClient | None = None,
        cursor: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not poll_schedule:
            raise ValueError("poll_schedule needs at least one delay")
        self.base_url = base_url.rstrip("/")
        self.transport = transport
        self._client_cls = registry.client(transport)
        self.tokens = TokenKeeper(token_provider)
        self.poll_schedule = tuple(poll_schedule)
        self.time_scale = time_scale
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_failures = max(1, max_failures)
        self._own_http = http is None
        self.rest = RestApi(self.base_url, http or httpx.AsyncClient(timeout=5.0))
        self.delivery = Delivery(on_message, self._fetch, cursor)
        self.rng = rng or random.Random()
        self.tracker = StateTracker(transport, on_state)
        self.poll_count = 0
        self.poll_times: list[float] = []
        self._client: RealtimeClient | None = None
        self._resync = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def cursor(self) -> str:
        return self.delivery.cursor

    @property
    def state(self) -> State:
        return self.tracker.state

    @property
    def transitions(self) -> list[tuple[float, State]]:
        return self.tracker.transitions

    # lifecycle ---------------------------------------------------------------------------
    async def start(self, wait: bool = True) -> None:
        """Begin connecting; with ``wait``, return once connected, degraded or disconnected."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        if wait:
            await self.tracker.settled.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._drop_client()
        self.tracker.on(Event.END, last_error="STOPPED")
        if self._own_http:
            await self.rest.http.aclose()

    async def send(self, message: dict[str, Any]) -> MessageEvent:
        """Through the transport when connected, else (or if it fails mid-send) through REST
        with the SAME client_msg_id, which the server stores at most once."""
        message = dict(message)
        message.setdefault("client_msg_id", new_id())
        client = self._client
        if self.state is State.CONNECTED and client is not None and not client.closed.is_set():
            live = await self._send_live(client, message)
            if live is not None:
                return live
        try:
            event: MessageEvent = await self.tokens.call(
                lambda token: self.rest.send(token, message)
            )
        except Terminal as exc:
            raise AppError(ErrorCode.AUTH_REQUIRED, f"cannot send: {exc.code}") from None
        return event

    async def _send_live(self, client: RealtimeClient, message: dict[str, Any]) -> Any:
        """The transport's ack, or None to fall back to REST: the connection died (an ack
        that will never come is not waited for) or the token expired mid-send."""
        sending = asyncio.ensure_future(client.send(message))
        closed = asyncio.ensure_future(client.closed.wait())
        try:
            await asyncio.wait({sending, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            if not sending.done():
                sending.cancel()
        try:
            return sending.result()
        except asyncio.CancelledError:
            reason = "connection closed"
        except AppError as exc:
            if exc.code not in EXPIRED_CODES and exc.code not in FALLBACK_CODES:
                raise
            reason = exc.code.value
        except Exception as exc:
            reason = type(exc).__name__
        log.info("client.send_fallback", transport=self.transport, reason=reason)
        return None

    # the state machine -------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            await self._loop()
        except Terminal as exc:
            self.tracker.on(Event.END, last_error=exc.code)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("client.crashed", transport=self.transport)
            self.tracker.on(Event.END, last_error=type(exc).__name__)
        finally:
            self.tracker.settled.set()

    async def _loop(self) -> None:
        failures = 0
        while True:
            self.tracker.on(Event.ATTEMPT, attempt=failures)
            client, unavailable = await self._connect_once()
            if client is None:
                failures += 1
                if unavailable or failures >= self.max_failures:
                    client = await self._degraded()
                else:
                    await self._sleep(full_jitter(failures - 1, *self._backoff, self.rng))
                    continue
            failures = 0
            code = await self._connected(client)
            if not should_reconnect(code):
                raise Terminal(f"CLOSE_{code}")
            self.tracker.on(Event.DROPPED)
            await self._sleep(full_jitter(0, *self._backoff, self.rng))

    @property
    def _backoff(self) -> tuple[float, float]:
        return self.backoff_base, self.backoff_cap

    async def _connect_once(self) -> tuple[RealtimeClient | None, bool]:
        """One attempt (plus one immediate retry after an expiry refusal). Returns the live
        client, or None and whether the transport itself is unavailable while REST works."""
        self.tracker.attempt += 1
        client = self._client_cls(self.base_url, on_message=self._on_live)
        try:
            token = await self.tokens.get()
            try:
                await client.connect(token, self.cursor)
            except AppError as exc:
                if exc.code not in EXPIRED_CODES:
                    raise
                await self._close_quietly(client)
                token = await self.tokens.get(refused=token)
                client = self._client_cls(self.base_url, on_message=self._on_live)
                await client.connect(token, self.cursor)
        except AppError as exc:
            await self._close_quietly(client)
            self.tracker.last_error = exc.code.value
            if exc.code in TERMINAL_CODES:
                raise Terminal(exc.code.value) from None
            log.info("client.connect_failed", transport=self.transport, code=exc.code.value)
            return None, exc.code == ErrorCode.TRANSPORT_UNAVAILABLE
        except (Terminal, asyncio.CancelledError):
            await self._close_quietly(client)
            raise
        except Exception as exc:
            await self._close_quietly(client)
            self.tracker.last_error = type(exc).__name__
            unavailable = await self.rest.healthy()
            log.info(
                "client.connect_failed",
                transport=self.transport,
                error=self.tracker.last_error,
                rest_up=unavailable,
            )
            return None, unavailable
        return client, False

    async def _connected(self, client: RealtimeClient) -> int:
        """Live until the server closes or a gap cannot be filled; returns the close code."""
        self._client = client
        self._resync.clear()
        self.tracker.on(Event.UP, attempt=0)
        closed = asyncio.ensure_future(client.closed.wait())
        resync = asyncio.ensure_future(self._resync.wait())
        try:
            await asyncio.wait({closed, resync}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
            resync.cancel()
        code = client.close_code if client.closed.is_set() else None
        code = int(CloseCode.SERVER_RESTART) if code is None else code
        self.tracker.last_error = f"CLOSE_{code}"
        await self._drop_client()
        log.info("client.dropped", transport=self.transport, code=code)
        if code == CloseCode.TOKEN_EXPIRED:
            self.tokens.expired = True
        return code

    async def _degraded(self) -> RealtimeClient:
        """Poll, probe, wait; repeat until a probe connects (Terminal propagates). Delays run
        from the start of each poll, so a slow probe does not stretch the schedule."""
        self.tracker.on(Event.FALLBACK, attempt=self.tracker.attempt)
        step = 0
        while True:
            began = time.monotonic()
            await self._poll()
            client, _ = await self._connect_once()
            if client is not None:
                self.tracker.next_poll_at = None
                return client
            delay = self.poll_schedule[min(step, len(self.poll_schedule) - 1)] * self.time_scale
            step += 1
            wait = max(0.0, began + delay - time.monotonic())
            self.tracker.next_poll_at = time.time() + wait
            self.tracker.notify()
            await asyncio.sleep(wait)

    async def _poll(self) -> None:
        self.poll_count += 1
        self.poll_times.append(time.monotonic())
        try:
            got = await self.delivery.catch_up()
        except Terminal:
            raise
        except Exception as exc:
            log.info("client.poll_failed", transport=self.transport, error=type(exc).__name__)
            return
        log.debug("client.polled", transport=self.transport, count=got)

    async def _fetch(self, after: str) -> tuple[list[MessageEvent], bool]:
        result: tuple[list[MessageEvent], bool] = await self.tokens.call(
            lambda token: self.rest.messages(token, after)
        )
        return result

    # live events -------------------------------------------------------------------------
    async def _on_live(self, event: MessageEvent) -> None:
        if self._resync.is_set():
            return
        try:
            await self.delivery.live(event)
        except GapUnfilled as exc:
            log.warning("client.gap_unfilled", transport=self.transport, error=str(exc))
            self._resync.set()
        except Terminal as exc:
            self.tracker.last_error = exc.code
            self._resync.set()

    # helpers -----------------------------------------------------------------------------
    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.time_scale)

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await self._close_quietly(client)

    @staticmethod
    async def _close_quietly(client: RealtimeClient) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), 5.0)


__all__ = ["ResilientClient", "SessionTokens", "TokenProvider", "static_token"]

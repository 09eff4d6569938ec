"""The one client interface every transport implements, so scenarios, the resilient client,
Locust and the contract tests drive all three the same way."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import (
    AppError,
    ErrorCode,
    RtspikeError,
    error_for_close,
    error_from_payload,
)

MessageHandler = Callable[[MessageEvent], Awaitable[None] | None]


def error_of_response(resp: httpx.Response) -> AppError:
    """Rebuild the server's structured error from an HTTP response (any body, any status)."""
    try:
        payload = resp.json()
    except ValueError:
        payload = None
    return error_from_payload(payload, resp.status_code)


class ClientError(RtspikeError):
    """A client could not do what was asked because of the connection, not because the server
    refused (a refusal is an ``AppError``)."""


class ConnectionFailed(ClientError):
    """Could not connect, or the network broke (refused TCP, failed handshake, timeout). The
    library's own exception is the ``__cause__``."""


class ReplyTimeout(ClientError):
    """The server did not answer a request in time; the connection may still be up."""


class ConnectionClosed(ClientError):
    """The server ended a live connection; ``code`` says whether to reconnect (the table in
    ``core/errors.py``)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class RealtimeClient(ABC):
    """Lifecycle: ``connect`` (raises AppError when refused) -> events reach ``on_message`` in
    arrival order -> ``send`` (raises AppError when refused) -> ``close``. When the server ends
    the connection, ``closed`` is set, ``close_code`` says whether to reconnect and
    ``close_error`` which error ended it (the same code on every transport)."""

    name: str = ""

    def __init__(self, base_url: str, on_message: MessageHandler | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.on_message = on_message
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.close_error: ErrorCode | None = None
        self.position = Cursor()

    @abstractmethod
    async def connect(self, token: str, cursor: str | None = None) -> None:
        """Authenticate and start receiving. ``cursor`` resumes after what it has seen."""

    @abstractmethod
    async def send(self, message: dict[str, Any]) -> MessageEvent:
        """Send a MessageSend-shaped dict; returns the stored event (the ack)."""

    @abstractmethod
    async def close(self) -> None: ...

    def _resume_from(self, cursor: str | None) -> None:
        """Every connect starts its position at the cursor it resumes from."""
        self.position = Cursor.decode(cursor)

    @property
    def cursor(self) -> str:
        """What this client has seen, to resume from on the next connect."""
        return self.position.encode()

    @abstractmethod
    async def send_raw(self, data: str, kind: str = "message.send") -> dict[str, Any]:
        """Send an unvalidated frame of type ``kind`` and return the server's structured
        reply ({"ok": ..., "message": ...} or {"error": {...}}). For the bad-input tests."""

    @abstractmethod
    def pause_reading(self) -> None:
        """Stop reading from the socket so that the server sees a slow consumer (tests)."""

    async def _dispatch(self, event: MessageEvent) -> None:
        self.position.advance(event.stream, event.seq, event.epoch)
        if self.on_message is not None:
            result = self.on_message(event)
            if result is not None:
                await result

    def _mark_closed(self, code: int, reason: str = "", error: ErrorCode | None = None) -> None:
        """``error`` is what the server said before closing; without it, what the bare close
        code stands for in the one table."""
        if not self.closed.is_set():
            self.close_code = code
            self.close_reason = reason
            self.close_error = error if error is not None else error_for_close(code)
            self.closed.set()


ErrorMap = Mapping[type[BaseException] | tuple[type[BaseException], ...], type[ClientError]]


@contextmanager
def mapped_errors(what: str, mapping: ErrorMap) -> Iterator[None]:
    """The adapter edge (as httpx's ``map_httpcore_exceptions``): a library exception raised
    inside becomes the first matching ``ClientError``, chained; ours pass through untouched."""
    try:
        yield
    except RtspikeError:
        raise
    except Exception as exc:
        for source, target in mapping.items():
            if isinstance(exc, source):
                raise target(f"{what}: {type(exc).__name__}") from exc
        raise


__all__ = [
    "AppError",
    "ClientError",
    "ConnectionClosed",
    "ConnectionFailed",
    "ErrorMap",
    "MessageHandler",
    "RealtimeClient",
    "ReplyTimeout",
    "error_of_response",
    "mapped_errors",
]

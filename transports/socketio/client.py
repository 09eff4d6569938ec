"""Socket.IO client on ``socketio.AsyncClient``: WebSocket only, no automatic reconnection (the
resilient client above decides when and with which token to reconnect)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import socketio

from rtspike.transports.clients.base import (
    ConnectionClosed,
    ConnectionFailed,
    ErrorMap,
    MessageHandler,
    RealtimeClient,
    ReplyTimeout,
    mapped_errors,
)
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import (
    AppError,
    CloseCode,
    ErrorCode,
    closure_from_payload,
    error_from_payload,
)
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.socketio.client")

EVENT_SEND = "message:send"
EVENT_NEW = "message:new"
EVENT_ERROR = "error"
CLOSED_BY_US = int(CloseCode.NORMAL)
CONNECTION_LOST = int(CloseCode.ABNORMAL)
_CALL_ERRORS: ErrorMap = {(socketio.exceptions.SocketIOError, OSError): ConnectionFailed}


class Client(RealtimeClient):
    name = "socketio"

    def __init__(
        self,
        base_url: str,
        on_message: MessageHandler | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(base_url, on_message)
        self.timeout_s = timeout_s
        self._sio: socketio.AsyncClient | None = None
        self._refused: Any = None
        self._inbox: deque[MessageEvent] = deque()
        self._dispatching = False
        self._paused = False
        self._closing = False
        self._settling: set[asyncio.Task[None]] = set()

    # lifecycle ---------------------------------------------------------------------------------
    async def connect(self, token: str, cursor: str | None = None) -> None:
        self._resume_from(cursor)
        sio = socketio.AsyncClient(
            reconnection=False,
            request_timeout=self.timeout_s,
            handle_sigint=False,
            logger=False,
            engineio_logger=False,
        )
        sio.on("connect_error", self._on_connect_error)
        sio.on(EVENT_NEW, self._on_new)
        sio.on(EVENT_ERROR, self._on_error)
        sio.on("disconnect", self._on_disconnect)
        self._sio, self._refused = sio, None
        try:
            await sio.connect(
                self.base_url,
                auth={"token": token, "cursor": cursor},
                transports=["websocket"],
                wait_timeout=self.timeout_s,
            )
        except socketio.exceptions.ConnectionError as exc:
            refused = self._refused
            if isinstance(refused, dict) and isinstance(refused.get("data"), dict):
                raise error_from_payload(refused["data"]) from None
            raise ConnectionFailed(f"socket.io connect failed: {exc}") from exc
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConnectionFailed(f"socket.io connect failed: {type(exc).__name__}") from exc

    async def close(self) -> None:
        self._closing = True
        if self._sio is not None:
            with mapped_errors("socket.io close", _CALL_ERRORS):
                await self._sio.disconnect()
        self._mark_closed(CLOSED_BY_US, "closed by client")

    # sending -----------------------------------------------------------------------------------
    async def send(self, message: dict[str, Any]) -> MessageEvent:
        ack = await self._call(EVENT_SEND, message)
        if ack.get("ok") is True and isinstance(ack.get("message"), dict):
            return MessageEvent.model_validate(ack["message"])
        raise error_from_payload(ack)

    async def send_raw(self, data: str, kind: str = "message.send") -> dict[str, Any]:
        """The raw string goes out as the event's data, so that the server's own parser judges
        it (malformed JSON, wrong shape and oversize all reach it)."""
        event = EVENT_SEND if kind == "message.send" else kind
        return await self._call(event, data)

    async def _call(self, event: str, data: Any) -> dict[str, Any]:
        sio = self._sio
        if sio is None or not sio.connected:
            raise ConnectionClosed(self.close_code or CONNECTION_LOST, "not connected")
        try:
            ack = await sio.call(event, data, timeout=self.timeout_s)
        except socketio.exceptions.TimeoutError:
            if self.closed.is_set():
                code = self.close_code or CONNECTION_LOST
                raise ConnectionClosed(code, self.close_reason) from None
            raise ReplyTimeout(f"no ack for {event!r} in {self.timeout_s}s") from None
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
            raise ConnectionClosed(self.close_code or CONNECTION_LOST, "not connected") from None
        except (socketio.exceptions.SocketIOError, OSError) as exc:
            raise ConnectionFailed(f"socket.io call: {type(exc).__name__}") from exc
        if not isinstance(ack, dict):
            return AppError(ErrorCode.INTERNAL, f"unexpected ack {ack!r}"[:200]).to_dict()
        return ack

    def pause_reading(self) -> None:
        """Stop reading the socket (the server's writes back up) and stop dispatching."""
        self._paused = True
        # python-engineio's aiohttp WebSocket: None until connected
        sock = self._sio.eio.ws if self._sio is not None else None
        conn = getattr(sock, "_conn", None)
        transport = getattr(conn, "transport", None)
        if transport is not None:
            transport.pause_reading()

    # server -> client --------------------------------------------------------------------------
    async def _on_connect_error(self, data: Any = None) -> None:
        self._refused = data

    async def _on_new(self, data: Any) -> None:
        if self._paused or self.closed.is_set():
            return
        try:
            event = MessageEvent.model_validate(data)
        except ValueError as exc:
            log.warning("realtime.bad_push", transport=self.name, error=str(exc)[:200])
            return
        self._inbox.append(event)
        if self._dispatching:
            return
        # python-socketio runs each incoming event in its own task: one drainer keeps them in
        # arrival order even when on_message awaits.
        self._dispatching = True
        try:
            while self._inbox:
                await self._dispatch(self._inbox.popleft())
        finally:
            self._dispatching = False

    async def _on_error(self, data: Any = None) -> None:
        closure = closure_from_payload(data)
        if closure is not None:
            code, error = closure
            self._mark_closed(code, error.message, error.code)
        else:
            log.info("realtime.server_error", transport=self.name, error=str(data)[:200])

    async def _on_disconnect(self, reason: Any = None) -> None:
        # python-socketio iterates its namespaces around this handler: yielding here lets its
        # own DISCONNECT handling change that dict mid-iteration, so settle in a task instead.
        task = asyncio.get_running_loop().create_task(self._settle_disconnect(reason))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settle_disconnect(self, reason: Any) -> None:
        # The ``error`` event that explains a server close is dispatched in a task of its own;
        # give it a turn so its close code wins over the generic one.
        for _ in range(3):
            await asyncio.sleep(0)
        if self._closing:
            self._mark_closed(CLOSED_BY_US, "closed by client")
        else:
            self._mark_closed(CONNECTION_LOST, f"disconnected: {reason}")

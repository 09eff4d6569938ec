"""Python client for the raw WebSocket transport (``websockets`` asyncio implementation).

Replies are matched to requests by ``id``. Frames the server could not parse get an error
without an id; the server handles frames one at a time and in order, so such replies resolve
the oldest request that had no id to give.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import deque
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed as WsClosed
from websockets.exceptions import WebSocketException

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
    error_for_close,
    error_from_payload,
)
from rtspike.transports.core.logging import get_logger
from rtspike.transports.ws.frames import MESSAGE_PREFIX

log = get_logger("rtspike.ws.client")
# websockets logs every frame at DEBUG, the auth frame (and so the token) included.
_wire_log = logging.getLogger("rtspike.ws.client.wire")
_wire_log.setLevel(logging.INFO)
PATH = "/realtime/ws"
REPLY_TIMEOUT_S = 10.0
ABNORMAL = int(CloseCode.ABNORMAL)
# The library's failures to connect, as ours (see ``mapped_errors``).
_CONNECT_ERRORS: ErrorMap = {
    (OSError, TimeoutError, WebSocketException, ValueError): ConnectionFailed
}
# During auth a close is a refusal (handled apart), so websockets' own errors are not mapped.
_AUTH_ERRORS: ErrorMap = {(OSError, TimeoutError, ValueError): ConnectionFailed}


def ws_url(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :] + PATH
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://") :] + PATH
    return base_url + PATH


class Client(RealtimeClient):
    name = "ws"

    def __init__(
        self,
        base_url: str,
        on_message: MessageHandler | None = None,
        open_timeout: float = 10.0,
        ping_interval: float = 15.0,
    ) -> None:
        super().__init__(base_url, on_message)
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        self.ready: dict[str, Any] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._anonymous: deque[asyncio.Future[dict[str, Any]]] = deque()
        self._paused = False
        self._ended_by: AppError | None = None

    async def connect(self, token: str, cursor: str | None = None) -> None:
        with mapped_errors("ws connect", _CONNECT_ERRORS):
            ws = await connect(
                ws_url(self.base_url),
                max_size=8 * 1024 * 1024,
                compression=None,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_interval,
                close_timeout=2.0,
                logger=_wire_log,
            )
        frame: dict[str, Any] = {"type": "auth", "token": token}
        if cursor:
            frame["cursor"] = cursor
        try:
            with mapped_errors("ws auth", _AUTH_ERRORS):
                await ws.send(json.dumps(frame))
                reply = json.loads(await asyncio.wait_for(ws.recv(), self.open_timeout))
        except WsClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else ABNORMAL
            raise AppError(
                error_for_close(code) or ErrorCode.INTERNAL,
                f"connection closed during auth ({code})",
            ) from None
        except BaseException:
            await ws.close()
            raise
        if not isinstance(reply, dict) or reply.get("type") != "ready":
            await ws.close()
            raise error_from_payload(reply)
        self.ready = reply
        self._resume_from(reply.get("cursor") or cursor)
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))

    async def send(self, message: dict[str, Any]) -> MessageEvent:
        reply = await self._request({"type": "message.send", "message": message})
        if reply.get("type") != "ack":
            raise error_from_payload(reply)
        return MessageEvent.model_validate(reply["message"])

    async def send_raw(self, data: str, kind: str = "message.send") -> dict[str, Any]:
        """Valid JSON goes inside a ``kind`` frame; anything else is sent as the frame itself,
        so that the server's handling of unparseable frames is exercised too."""
        try:
            parsed = json.loads(data)
        except ValueError:
            reply = await self._request(None, raw=data)
        else:
            reply = await self._request({"type": kind, "message": parsed})
        if reply.get("type") == "ack":
            return {"ok": True, "message": reply.get("message")}
        return {"error": reply.get("error")}

    async def ping(self) -> None:
        """Application-level round trip (the protocol-level keep-alive is separate)."""
        await self._request({"type": "ping"}, anonymous=True)

    def pause_reading(self) -> None:
        ws = self._require()
        self._paused = True
        if self._reader is not None:
            self._reader.cancel()
        ws.transport.pause_reading()

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if self._reader is not None:
            self._reader.cancel()
        if ws is None:
            return
        if self._paused:
            ws.transport.abort()
            return
        try:
            await ws.close()
        except Exception as exc:
            log.debug("ws.client_close_failed", error=str(exc))

    # internals -------------------------------------------------------------------------------
    def _require(self) -> ClientConnection:
        if self._ws is None:
            raise ConnectionClosed(self.close_code or ABNORMAL, "not connected")
        return self._ws

    async def _request(
        self, frame: dict[str, Any] | None, raw: str | None = None, anonymous: bool = False
    ) -> dict[str, Any]:
        ws = self._require()
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        if frame is None or anonymous:
            self._anonymous.append(fut)
        else:
            rid = str(next(self._ids))
            frame = {"type": frame["type"], "id": rid, **frame}
            self._pending[rid] = fut
        try:
            await ws.send(raw if raw is not None else json.dumps(frame))
            return await asyncio.wait_for(fut, REPLY_TIMEOUT_S)
        except WsClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else ABNORMAL
            raise ConnectionClosed(code, exc.rcvd.reason if exc.rcvd else "") from None
        except TimeoutError:
            raise ReplyTimeout(f"no reply in {REPLY_TIMEOUT_S:g}s") from None
        except OSError as exc:
            raise ConnectionFailed(f"ws send: {type(exc).__name__}") from exc
        finally:
            if frame is not None and not anonymous:
                self._pending.pop(str(frame["id"]), None)
            elif fut in self._anonymous:
                self._anonymous.remove(fut)

    async def _read(self, ws: ClientConnection) -> None:
        code, reason = ABNORMAL, ""
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue
                if raw.startswith(MESSAGE_PREFIX):
                    await self._dispatch(MessageEvent.from_wire(raw[len(MESSAGE_PREFIX) : -1]))
                    continue
                self._on_reply(json.loads(raw))
            if ws.close_code is not None:
                code, reason = ws.close_code, ws.close_reason or ""
        except WsClosed as exc:
            if exc.rcvd is not None:
                code, reason = exc.rcvd.code, exc.rcvd.reason
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("ws.client_reader_failed", error=str(exc))
            await ws.close()
        self._fail_pending(code, reason)
        said = self._ended_by
        self._mark_closed(code, reason, said.code if said is not None else None)

    def _on_reply(self, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        closure = closure_from_payload(frame) if kind == "error" else None
        if closure is not None:
            # The server is ending the connection and says why; the close follows.
            self._ended_by = closure[1]
            return
        if kind == "message":
            log.warning("ws.client_unexpected_message_frame")
            return
        rid = frame.get("id")
        fut = self._pending.get(str(rid)) if rid is not None else None
        if fut is None and rid is None and kind in ("error", "pong") and self._anonymous:
            fut = self._anonymous.popleft()
        if fut is not None and not fut.done():
            fut.set_result(frame)

    def _fail_pending(self, code: int, reason: str) -> None:
        for fut in [*self._pending.values(), *self._anonymous]:
            if not fut.done():
                fut.set_exception(ConnectionClosed(code, reason))
        self._pending.clear()
        self._anonymous.clear()

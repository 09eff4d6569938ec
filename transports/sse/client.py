"""The SSE transport's Python client: httpx + httpx-sse down, REST ``POST /messages`` up.

Non-browser clients authenticate the stream with ``Authorization: Bearer`` (no ticket round
trip) and resume with ``Last-Event-ID``, exactly as a browser's EventSource would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse

from rtspike.transports.clients.base import (
    ConnectionFailed,
    ErrorMap,
    RealtimeClient,
    error_of_response,
    mapped_errors,
)
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode, closure_from_payload
from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.sse.client")
STREAM_PATH = "/realtime/sse"
SEND_PATH = "/api/v1/messages"
ABNORMAL = int(CloseCode.ABNORMAL)
OPEN_TIMEOUT_S = 10.0
_HTTP_ERRORS: ErrorMap = {
    (httpx.HTTPError, OSError, TimeoutError, StopAsyncIteration): ConnectionFailed
}


class Client(RealtimeClient):
    name = "sse"

    def __init__(self, base_url: str, on_message: Any = None) -> None:
        super().__init__(base_url, on_message)
        self._http: httpx.AsyncClient | None = None
        self._token = ""
        self._stack: contextlib.AsyncExitStack | None = None
        self._events: AsyncGenerator[ServerSentEvent, None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stream_resp: httpx.Response | None = None
        self._paused = False
        self._parked = asyncio.Event()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, timeout=httpx.Timeout(10.0, read=None)
            )
        return self._http

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def connect(self, token: str, cursor: str | None = None) -> None:
        """Returns once the server has accepted the stream (its ``retry:`` line arrived)."""
        await self._teardown()
        self._resume_from(cursor)
        self._token = token
        self.closed.clear()
        self.close_code, self.close_reason, self._paused = None, "", False
        self.close_error = None
        headers = self._auth_headers()
        if cursor:
            headers["Last-Event-ID"] = cursor
        stack = contextlib.AsyncExitStack()
        try:
            with mapped_errors("sse connect", _HTTP_ERRORS):
                source = await stack.enter_async_context(
                    aconnect_sse(self._client(), "GET", STREAM_PATH, headers=headers)
                )
                resp = source.response
                if resp.status_code != 200:
                    await resp.aread()
                    raise error_of_response(resp)
                events = source.aiter_sse()
                stack.push_async_callback(events.aclose)
                async with asyncio.timeout(OPEN_TIMEOUT_S):
                    first = await anext(events)
            if first.retry is None:
                raise AppError(ErrorCode.INTERNAL, "stream did not start with a retry line")
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self._events, self._stream_resp = stack, events, resp
        self._reader = asyncio.get_running_loop().create_task(self._read(events))

    async def _read(self, events: AsyncGenerator[ServerSentEvent, None]) -> None:
        code, reason = ABNORMAL, "stream ended without a close event"
        error: ErrorCode | None = None
        try:
            async for sse in events:
                if self._paused:
                    await self._parked.wait()
                if sse.event == "message":
                    await self._deliver(sse.data)
                elif sse.event == "error":
                    code, reason, error = self._close_event(sse.data)
                    break
        except asyncio.CancelledError:
            if self._paused:
                return
            raise
        except (httpx.HTTPError, OSError) as exc:
            reason = f"stream failed: {type(exc).__name__}"
        self._mark_closed(code, reason, error)

    async def _deliver(self, data: str) -> None:
        try:
            event = MessageEvent.from_wire(data)
        except ValueError:
            log.warning("realtime.bad_frame", transport=self.name, code="VALIDATION_ERROR")
            return
        try:
            await self._dispatch(event)
        except Exception:
            log.exception("client.handler_failed", transport=self.name, id=event.id)

    @staticmethod
    def _close_event(data: str) -> tuple[int, str, ErrorCode | None]:
        try:
            closure = closure_from_payload(json.loads(data))
        except ValueError:
            closure = None
        if closure is None:
            return int(CloseCode.PROTOCOL_ERROR), "malformed close event", None
        code, error = closure
        return code, error.message, error.code

    async def _post(self, path: str, content: str | bytes) -> httpx.Response:
        headers = {
            **self._auth_headers(),
            "Content-Type": "application/json",
            "X-Rtspike-Transport": self.name,
        }
        with mapped_errors("sse send", _HTTP_ERRORS):
            return await self._client().post(path, content=content, headers=headers)

    async def send(self, message: dict[str, Any]) -> MessageEvent:
        resp = await self._post(SEND_PATH, json.dumps(message))
        if resp.status_code != 201:
            raise error_of_response(resp)
        return MessageEvent.model_validate(resp.json()["message"])

    async def send_raw(self, data: str, kind: str = "message.send") -> dict[str, Any]:
        """Upstream is plain REST, so an unknown ``kind`` is an unknown path (404 NOT_FOUND)."""
        path = SEND_PATH if kind == "message.send" else f"/api/v1/realtime/sse/{kind}"
        resp = await self._post(path, data)
        try:
            body = resp.json()
        except ValueError:
            return AppError(ErrorCode.INTERNAL, f"non-JSON reply ({resp.status_code})").to_dict()
        if resp.status_code == 201:
            return {"ok": True, "message": body["message"]}
        return dict(body)

    def pause_reading(self) -> None:
        """Stop consuming the stream, so that the server's buffers fill. The reader parks at the
        next event rather than being cancelled: cancelling a read makes httpcore drop the
        connection. With nobody receiving, anyio pauses reading the socket itself."""
        self._paused = True

    async def _teardown(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        stack, self._stack = self._stack, None
        self._events = self._stream_resp = None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    async def close(self) -> None:
        self._paused = True
        await self._teardown()
        self._mark_closed(int(CloseCode.NORMAL), "closed by client")
        if self._http is not None:
            await self._http.aclose()
            self._http = None

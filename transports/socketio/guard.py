"""python-socketio's ``AsyncServer`` with the two guards it lacks.

- An Engine.IO session that never sends the Socket.IO CONNECT is cut after ``auth_timeout_s``,
  like a raw WebSocket that never authenticates (Engine.IO alone keeps it while it answers pings).
- A packet that fails to decode or whose handler raises (a 5,000-deep JSON array in an event,
  a surrogate python-socketio chokes on) is answered, not swallowed: a CONNECT gets a
  CONNECT_ERROR with the one error shape, an event gets the ``error`` event, and the failure is
  logged once within the client's log budget (python-socketio's own loggers are off).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import socketio
from socketio import packet as sio_packet

from rtspike.transports.core.errors import AppError, ErrorCode

NAMESPACE = "/"
# A callback that counts and logs a refusal (the hub's bad_frame, within the log budget).
Reporter = Callable[[AppError, Any], None]


class SafeJson:
    """The json module python-socketio and python-engineio decode packets with, except that a
    nesting deeper than the interpreter's recursion limit is a ``ValueError`` (what both
    libraries treat as an undecodable packet) instead of a ``RecursionError`` that would end
    the whole session."""

    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
        return json.dumps(obj, *args, **kwargs)

    @staticmethod
    def loads(s: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return json.loads(s, *args, **kwargs)
        except RecursionError:
            raise ValueError("nested too deep") from None


def _is_connect(data: Any) -> bool:
    return isinstance(data, str) and data[:1] == str(sio_packet.CONNECT)


class GuardedServer(socketio.AsyncServer):
    def __init__(
        self, *args: Any, connect_timeout_s: float, reply_bound: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.connect_timeout_s = connect_timeout_s
        self.reply_bound = reply_bound
        self.report: Reporter = lambda exc, sid: None
        self._deadlines: dict[str, asyncio.TimerHandle] = {}

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        result = await super()._handle_eio_connect(eio_sid, environ)
        loop = asyncio.get_running_loop()
        self._deadlines[eio_sid] = loop.call_later(
            self.connect_timeout_s, self._connect_deadline, eio_sid
        )
        return result

    def _connect_deadline(self, eio_sid: str) -> None:
        self._deadlines.pop(eio_sid, None)
        if self.manager.sid_from_eio_sid(eio_sid, NAMESPACE) is not None:
            return
        if eio_sid not in self.eio.sockets:
            return
        exc = AppError(
            ErrorCode.AUTH_REQUIRED, f"no Socket.IO CONNECT within {self.connect_timeout_s:g}s"
        )
        self.report(exc, None)
        task = asyncio.get_running_loop().create_task(self.eio.disconnect(eio_sid))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _handle_eio_disconnect(self, eio_sid: str, *args: Any) -> Any:
        handle = self._deadlines.pop(eio_sid, None)
        if handle is not None:
            handle.cancel()
        return await super()._handle_eio_disconnect(eio_sid, *args)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> Any:
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None and sock.queue.qsize() >= self.reply_bound:
            # Its replies are not leaving (it does not read, or its writer lags far behind):
            # answering more would queue without end. Cut it; it is not reading anyway.
            self.report(AppError(ErrorCode.SLOW_CONSUMER, "replies unread"), None)
            await self.eio.disconnect(eio_sid)
            return None
        try:
            return await super()._handle_eio_message(eio_sid, data)
        except Exception as exc:
            error = exc if isinstance(exc, AppError) else _undecodable(exc)
            sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
            self.report(error, sid)
            if _is_connect(data) and sid is None:
                refusal = {**error.to_dict(), "close_code": error.close_code}
                await self._send_packet(
                    eio_sid,
                    self.packet_class(
                        sio_packet.CONNECT_ERROR,
                        data={"message": error.message, "data": refusal},
                        namespace=NAMESPACE,
                    ),
                )
            elif sid is not None:
                await self.emit("error", error.to_dict(), to=sid)
            return None


def _undecodable(exc: Exception) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        "packet could not be decoded; send JSON within the limits",
        details={"reason": type(exc).__name__},
    )

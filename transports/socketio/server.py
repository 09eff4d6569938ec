"""Socket.IO transport (python-socketio on the shared aiohttp app), mounted at ``/socket.io/``.

Fan-out goes through the core bus and the hub, not through python-socketio's client managers
(``AsyncRedisManager`` and friends). The hub already delivers every event to each local
connection in per-stream order, fills gaps from the log, and reaches other nodes over the Redis
bus; a Socket.IO pub/sub manager would be a second fan-out path that duplicates deliveries and
bypasses the log-first catch-up. So there is one ordering and gap-filling path for all
transports, and the Socket.IO server here only translates frames.

Sticky sessions: with several server processes, the long-polling transport needs them, because
an Engine.IO session (its sid and outgoing queue) lives in exactly one process and every polling
request must reach it. WebSocket-only clients (``transports: ["websocket"]``, what the Python
and Node clients here use) hold one TCP connection and need no stickiness.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from aiohttp import web

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.decode import FRAME_OVERHEAD, check_value
from rtspike.transports.core.errors import AppError, CloseCode, ErrorCode, validation_error
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger
from rtspike.transports.server.http import internal_error_fields
from rtspike.transports.server.outbox import Flusher
from rtspike.transports.socketio import engine
from rtspike.transports.socketio.connection import TRANSPORT, SioConnection, packet_cache
from rtspike.transports.socketio.guard import GuardedServer, SafeJson

log = get_logger("rtspike.socketio")

PATH = "/socket.io/"
NAMESPACE = "/"
EVENT_SEND = "message:send"
EVENT_ERROR = "error"
CLOSE_GRACE_S = 3.0
SHUTDOWN_GRACE_S = 0.3
MIN_PING_TIMEOUT_S = 5.0
SIO_KEY: web.AppKey[SocketIOServer] = web.AppKey("socketio_server")


def refusal(exc: AppError) -> socketio.exceptions.ConnectionRefusedError:
    """connect_error data = the error body plus its close code; JS sees it as ``err.data``."""
    return socketio.exceptions.ConnectionRefusedError(exc.message, exc.close_payload())


class SocketIOServer:
    """One ``AsyncServer`` per aiohttp app (tests run many apps in one process)."""

    def __init__(self, hub: Hub) -> None:
        s = hub.settings
        self.hub = hub
        self.sio = GuardedServer(
            async_mode="aiohttp",
            cors_allowed_origins=None,
            ping_interval=s.keepalive_s,
            ping_timeout=max(s.keepalive_s, MIN_PING_TIMEOUT_S),
            # One packet (or polling payload) at most twice a frame, as on the raw WebSocket.
            max_http_buffer_size=2 * (s.max_message_bytes + FRAME_OVERHEAD),
            connect_timeout_s=s.auth_timeout_s,
            reply_bound=s.queue_bound,
            json=SafeJson,
            async_handlers=False,
            logger=False,
            engineio_logger=False,
        )
        engine.install(self.sio.eio, Flusher(), s.queue_bound)
        self.conns: dict[str, SioConnection] = {}
        self._packets = packet_cache()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on(EVENT_SEND, self._on_send)
        self.sio.on("*", self._on_other)
        self.sio.report = self._report
        setattr(self.sio.eio, engine.ON_ERROR_ATTR, self._undecodable)
        setattr(self.sio.eio, engine.REPLY_BOUND_ATTR, s.queue_bound)

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app, socketio_path=PATH.strip("/"))
        app[SIO_KEY] = self
        app.on_shutdown.append(self._shutting_down)
        app.on_cleanup.append(self._cleanup)

    def _undecodable(self, exc: Exception) -> None:
        error = AppError(
            ErrorCode.VALIDATION_ERROR,
            "Engine.IO packet could not be decoded",
            details={"reason": type(exc).__name__},
        )
        self.hub.bad_frame(TRANSPORT, error)

    def _report(self, exc: AppError, sid: str | None) -> None:
        conn = self.conns.get(sid) if sid is not None else None
        self.hub.bad_frame(TRANSPORT, exc, conn.principal if conn else None)

    # connect / disconnect ----------------------------------------------------------------------
    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Every failure is a CONNECT_ERROR with the one error shape, logged once."""
        try:
            await self._connect(sid, auth)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception as exc:
            log.error("realtime.internal_error", transport=TRANSPORT, **internal_error_fields(exc))
            raise refusal(AppError(ErrorCode.INTERNAL, "Could not connect; retry.")) from None

    async def _connect(self, sid: str, auth: Any) -> None:
        if isinstance(auth, dict):
            try:
                check_value(auth)
            except AppError as exc:
                raise self._refuse_frame(None, exc) from None
        if auth is not None and not isinstance(auth, dict):
            raise self._refuse_frame(
                None, validation_error("auth must be an object {token, cursor}")
            )
        auth = auth or {}
        token = auth.get("token")
        try:
            principal = await self.hub.authenticate(
                token if isinstance(token, str) else None, TRANSPORT
            )
        except AppError as exc:
            raise refusal(exc) from None
        raw_cursor = auth.get("cursor")
        try:
            if raw_cursor is not None and not isinstance(raw_cursor, str):
                raise validation_error("cursor must be a string")
            cursor = Cursor.decode(raw_cursor)
        except AppError as exc:
            raise self._refuse_frame(principal.log_fields(), exc) from None
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, NAMESPACE)
        eio_socket = self.sio.eio.sockets.get(eio_sid)
        if eio_socket is None or eio_socket.closed:
            raise refusal(AppError(ErrorCode.VALIDATION_ERROR, "session ended while connecting"))
        conn = SioConnection(
            sid,
            eio_socket,
            principal,
            self._packets,
            self,
            self.hub.settings.queue_bound,
        )
        self.conns[sid] = conn
        try:
            # Safe inside the handler: WebSocket sessions hold pushes until CONNECT is written
            # (DirectWriter.early); on polling, python-socketio queues CONNECT before this
            # coroutine's caller yields, and the hub pushes only from tasks it spawns.
            await self.hub.attach(conn, cursor)
        except Exception as exc:
            self.conns.pop(sid, None)
            self.hub.detach(conn, int(CloseCode.SERVER_RESTART), "attach failed")
            if isinstance(exc, AppError):
                raise refusal(exc) from None
            log.error(
                "realtime.attach_failed",
                transport=TRANSPORT,
                **internal_error_fields(exc),
                **principal.log_fields(),
            )
            raise refusal(AppError(ErrorCode.INTERNAL, "could not start the session")) from None

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        code = conn.close_code
        conn.peer_gone()
        self.hub.detach(conn, code, str(reason or ""))

    def _refuse_frame(
        self, fields: dict[str, str] | None, exc: AppError
    ) -> socketio.exceptions.ConnectionRefusedError:
        self.hub.bad_frame(TRANSPORT, exc, None, **(fields or {}))
        return refusal(exc)

    # events ------------------------------------------------------------------------------------
    async def _on_send(self, sid: str, *args: Any) -> dict[str, Any]:
        conn = self.conns.get(sid)
        if conn is None or conn.closing:
            return {"ok": False, **AppError(ErrorCode.AUTH_REQUIRED, "not connected").to_dict()}
        data = args[0] if len(args) == 1 else list(args)
        try:
            event = await self.hub.send(conn.principal, data, TRANSPORT)
        except AppError as exc:
            return {"ok": False, **exc.to_dict()}
        except Exception as exc:
            log.error(
                "realtime.send_failed",
                transport=TRANSPORT,
                **internal_error_fields(exc),
                **conn.principal.log_fields(),
            )
            return {"ok": False, **AppError(ErrorCode.INTERNAL, "internal error").to_dict()}
        return {"ok": True, "message": event.wire_dict()}

    async def _on_other(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        """Anything but ``message:send``: an ``error`` event (no close_code: the connection
        stays) and, when the client asked for an ack, the same error as the ack."""
        name = str(event)[:64]
        exc = validation_error(f"unknown event {name!r}; send {EVENT_SEND!r}", event=name)
        conn = self.conns.get(sid)
        self.hub.bad_frame(TRANSPORT, exc, conn.principal if conn else None, frame=name)
        await self.sio.emit(EVENT_ERROR, exc.to_dict(), to=sid)
        return {"ok": False, **exc.to_dict()}

    # server-initiated close ---------------------------------------------------------------------
    def schedule_close(self, conn: SioConnection, why: AppError) -> None:
        task = asyncio.get_running_loop().create_task(self._close(conn, why))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self, conn: SioConnection, why: AppError) -> None:
        """``error`` {error, close_code} then DISCONNECT, in order behind what was pushed. A
        client that stops reading never gets them: its transport is cut after a grace period."""
        try:
            await self.sio.emit(EVENT_ERROR, why.close_payload(), to=conn.sid)
            await self.sio.disconnect(conn.sid)
        except Exception as exc:
            log.info(
                "realtime.close_failed",
                transport=TRANSPORT,
                error=type(exc).__name__,
                **conn.principal.log_fields(),
            )
        await asyncio.sleep(SHUTDOWN_GRACE_S if self._stopping else CLOSE_GRACE_S)
        sock, writer = conn.eio_socket, engine.writer_of(conn.eio_socket)
        if not sock.closed and writer is not None and not writer.transport.is_closing():
            # Everything reached the kernel: a clean FIN. A stalled reader: cut it.
            if (
                sock.queue.empty()
                and not writer.queued
                and not writer.transport.get_write_buffer_size()
            ):
                writer.transport.close()
            else:
                writer.transport.abort()

    async def _shutting_down(self, _: web.Application) -> None:
        """Runs before the hub closes every connection with SERVER_RESTART. aiohttp stops reading
        from its connections during shutdown, so clients' close replies never arrive: end the TCP
        connections as soon as the error and DISCONNECT packets are out."""
        self._stopping = True

    async def _cleanup(self, _: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.sio.shutdown()


def mount(app: web.Application, hub: Hub) -> None:
    SocketIOServer(hub).attach(app)

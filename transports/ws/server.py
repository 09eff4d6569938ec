"""Raw WebSocket transport: ``GET /realtime/ws`` on aiohttp.

Protocol (JSON text frames): the first frame authenticates (``auth``), then ``message.send``
is answered by ``ack`` or ``error`` carrying the request ``id``, the server pushes ``message``,
and ``ping`` gets ``pong``. Refusals are an ``error`` frame followed by the close code of the
error (``CloseCode``). A server-ended connection gets the same: an ``error`` frame with the
error and its ``close_code`` (so a logout and an expiry differ), then the close. Bad frames
after auth get an error frame and change nothing; the connection stays open so that one buggy
client call does not cost the user the connection.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType, web

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.decode import FRAME_OVERHEAD, check_value, decode_json, parse_json
from rtspike.transports.core.errors import (
    AppError,
    ErrorCode,
    auth_required,
    validation_error,
)
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import Principal
from rtspike.transports.server.http import PREPARED_KEY, internal_error_fields
from rtspike.transports.server.outbox import Flusher
from rtspike.transports.ws.connection import CLOSE_GRACE_S, WsConnection
from rtspike.transports.ws.frames import ack_frame, close_text, encode, error_frame, frame_cache
from rtspike.transports.ws.pipeline import ReplyPipeline

log = get_logger("rtspike.ws")
NAME = "ws"
PATH = "/realtime/ws"
_PONG = encode({"type": "pong"})


def _crashed(exc: BaseException) -> bytes:
    """A send that failed outside the AppError tree: the client gets INTERNAL, the log the
    exception type (never its text: it may carry input)."""
    log.error("realtime.send_crashed", transport=NAME, error=type(exc).__name__)
    return error_frame(AppError(ErrorCode.INTERNAL, "internal error; retry the send"))


def mount(app: web.Application, hub: Hub) -> None:
    app.router.add_get(PATH, WsEndpoint(hub).handle)


def _request_id(frame: dict[str, Any]) -> str | int | None:
    rid = frame.get("id")
    if isinstance(rid, bool) or not isinstance(rid, str | int) or len(str(rid)) > 128:
        return None
    try:
        check_value(rid)
    except AppError:
        return None
    return rid


class WsEndpoint:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.settings = hub.settings
        self.frames = frame_cache()
        self.flusher = Flusher()
        self.frame_limit = self.settings.max_message_bytes + FRAME_OVERHEAD

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(
            heartbeat=self.settings.keepalive_s,
            # Bounds a message being assembled from continuation frames, too: a peer cannot
            # park more than this per connection in unfinished messages (beyond it aiohttp
            # closes with 1009; between frame_limit and this the client gets an error frame).
            max_msg_size=2 * self.frame_limit,
            compress=False,
            timeout=CLOSE_GRACE_S,
        )
        if not ws.can_prepare(request).ok:
            raise AppError(ErrorCode.VALIDATION_ERROR, "WebSocket upgrade required", status=426)
        await ws.prepare(request)
        request[PREPARED_KEY] = ws
        try:
            await self._run(ws, request)
        except Exception as exc:
            # The socket is upgraded: an HTTP 500 written now would be garbage to the client.
            log.error("realtime.internal_error", transport=NAME, **internal_error_fields(exc))
            error = AppError(ErrorCode.INTERNAL, "Internal error; reconnect.")
            await self._refuse(ws, error, logged=True)
        return ws

    async def _run(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        accepted = await self._authenticate(ws)
        if accepted is None:
            return
        principal, cursor = accepted
        conn = WsConnection(
            ws, request, principal, self.frames, self.flusher, self.settings.queue_bound
        )
        try:
            try:
                start = await self.hub.attach(conn, cursor)
            except AppError as exc:
                self.hub.bad_frame(NAME, exc, principal)
                await self._refuse(ws, exc, logged=True)
                return
            except Exception as exc:
                log.error(
                    "realtime.attach_failed",
                    transport=NAME,
                    **internal_error_fields(exc),
                    **principal.log_fields(),
                )
                busy = AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "Server busy; reconnect.")
                await self._refuse(ws, busy, logged=True)
                return
            conn.send_frame(
                encode(
                    {
                        "type": "ready",
                        "user": {
                            "id": principal.user_id,
                            "role": principal.role.value,
                            "lga_id": principal.lga_id,
                        },
                        "streams": list(self.hub.streams_for(principal)),
                        "cursor": start.encode(),
                    }
                )
            )
            await self._serve(ws, conn)
        finally:
            conn.peer_gone(ws.close_code)
            self.hub.detach(conn, conn.close_code, conn.close_reason)

    # authentication --------------------------------------------------------------------------
    async def _authenticate(self, ws: web.WebSocketResponse) -> tuple[Principal, Cursor] | None:
        """The first frame must be ``auth`` within ``auth_timeout_s``; None = refused/gone."""
        timeout = self.settings.auth_timeout_s
        try:
            msg = await ws.receive(timeout=timeout)
        except TimeoutError:
            await self._refuse(ws, auth_required(f"no auth frame within {timeout:g}s"))
            return None
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return None
        frame = self._auth_frame(msg)
        if isinstance(frame, AppError):
            await self._refuse(ws, frame)
            return None
        token = frame.get("token")
        try:
            principal = await self.hub.authenticate(token if isinstance(token, str) else None, NAME)
        except AppError as exc:
            await self._refuse(ws, exc, logged=True)
            return None
        raw_cursor = frame.get("cursor")
        try:
            if raw_cursor is not None and not isinstance(raw_cursor, str):
                raise validation_error("cursor must be a string", field="cursor")
            cursor = Cursor.decode(raw_cursor).restricted(self.hub.streams_for(principal))
        except AppError as exc:
            self.hub.bad_frame(NAME, exc, principal)
            await self._refuse(ws, exc, logged=True)
            return None
        return principal, cursor

    def _auth_frame(self, msg: Any) -> dict[str, Any] | AppError:
        if msg.type is not WSMsgType.TEXT:
            return auth_required("the first frame must be a JSON auth frame")
        try:
            frame = decode_json(msg.data, self.frame_limit)
        except AppError as exc:
            return auth_required("the first frame must be a JSON auth frame", reason=exc.message)
        if not isinstance(frame, dict) or frame.get("type") != "auth":
            return auth_required('the first frame must be {"type": "auth", "token": ...}')
        return frame

    async def _refuse(self, ws: web.WebSocketResponse, exc: AppError, logged: bool = False) -> None:
        if not logged:
            self.hub.metrics.auth_failures.labels(NAME, exc.code.value).inc()
            log.warning(
                "realtime.auth_failed", transport=NAME, code=exc.code.value, reason=exc.message
            )
        try:
            await ws.send_str(close_text(exc))
            await ws.close(code=exc.close_code, message=exc.message.encode()[:123])
        except (ConnectionError, RuntimeError):
            pass

    # the live connection ---------------------------------------------------------------------
    async def _serve(self, ws: web.WebSocketResponse, conn: WsConnection) -> None:
        """Reads frames while fewer than ``max_inflight_sends`` sends are pending (see
        ws/pipeline.py); replies leave in request order."""
        pipeline = ReplyPipeline(
            self.settings.max_inflight_sends, lambda frame: self._reply(conn, frame), _crashed
        )
        try:
            async for msg in ws:
                if conn.closing:
                    break
                if msg.type is WSMsgType.TEXT:
                    self._on_text(conn, pipeline, msg.data)
                    await pipeline.wait_room()
                elif msg.type is WSMsgType.BINARY:
                    self._reply_error(
                        conn,
                        pipeline,
                        validation_error("binary frames are not supported; send JSON text frames"),
                    )
                elif msg.type is WSMsgType.ERROR:
                    # aiohttp already closes with 1009 (message too big) or 1002 (protocol error).
                    self.hub.bad_frame(
                        NAME, AppError(ErrorCode.VALIDATION_ERROR, "bad frame"), conn.principal
                    )
                    break
        finally:
            await pipeline.finish()

    def _on_text(self, conn: WsConnection, pipeline: ReplyPipeline, data: str) -> None:
        try:
            frame = parse_json(data, self.frame_limit)
        except AppError as exc:
            self._reply_error(conn, pipeline, exc)
            return
        if not isinstance(frame, dict):
            self._reply_error(conn, pipeline, validation_error("frame must be a JSON object"))
            return
        kind, rid = frame.get("type"), _request_id(frame)
        try:
            check_value(frame)
        except AppError as exc:
            self._reply_error(conn, pipeline, exc, rid)
            return
        if kind == "message.send":
            pipeline.submit(self._send(conn, frame.get("message"), rid))
        elif kind == "ping":
            pipeline.reply(_PONG)
        else:
            self._reply_error(
                conn,
                pipeline,
                validation_error(
                    "unknown frame type", type=str(kind)[:64], allowed=["message.send", "ping"]
                ),
                rid,
            )

    async def _send(self, conn: WsConnection, message: Any, rid: str | int | None) -> bytes:
        try:
            event = await self.hub.send(conn.principal, message, NAME)
        except AppError as exc:
            return error_frame(exc, rid)
        except Exception as exc:
            log.error(
                "realtime.send_crashed",
                transport=NAME,
                **internal_error_fields(exc),
                **conn.principal.log_fields(),
            )
            failed = AppError(ErrorCode.INTERNAL, "internal error; retry the send")
            return error_frame(failed, rid)
        return ack_frame(event, rid)

    def _reply_error(
        self,
        conn: WsConnection,
        pipeline: ReplyPipeline,
        exc: AppError,
        rid: str | int | None = None,
    ) -> None:
        self.hub.bad_frame(NAME, exc, conn.principal)
        pipeline.reply(error_frame(exc, rid))

    def _reply(self, conn: WsConnection, frame: bytes) -> None:
        """Replies queue behind pushes; a client that sends but never reads fills the queue
        and is cut as a slow consumer instead of growing it without bound."""
        if conn.queued >= self.settings.queue_bound:
            if not conn.closing:
                self.hub.bad_frame(NAME, AppError(ErrorCode.SLOW_CONSUMER, "replies unread"))
                conn.close(AppError(ErrorCode.SLOW_CONSUMER, "Not reading replies; reconnect."))
            return
        conn.send_frame(frame)

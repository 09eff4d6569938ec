"""Raw WebSocket user on ``websocket-client`` (plain sockets, which gevent patches): one
receiver greenlet reads frames; sends wait on a gevent AsyncResult keyed by request id."""

from __future__ import annotations

import itertools
import json
from typing import Any

import gevent
import websocket
from gevent.event import AsyncResult

from rtspike.loadtests.base import AckError, RealtimeUser, RefusedError

ACK_TIMEOUT_S = 15.0


class WsUser(RealtimeUser):
    kind = "WS"
    path = "/realtime/ws"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ws: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        self.pending: dict[str, AsyncResult] = {}
        self.ids = itertools.count(1)

    def open(self, token: str, cursor: str | None) -> None:
        url = self.base_url.replace("http", "ws", 1) + self.path
        ws = websocket.create_connection(url, timeout=15, enable_multithread=True)
        try:
            ws.send(json.dumps({"type": "auth", "token": token, "cursor": cursor}))
            first = json.loads(ws.recv())
        except Exception:
            ws.close()
            raise
        if first.get("type") != "ready":
            ws.close()
            raise RefusedError(json.dumps(first.get("error", first))[:300])
        ws.settimeout(None)
        self.ws = ws
        self.closing = False
        self.reader = gevent.spawn(self._read, ws)

    def _read(self, ws: websocket.WebSocket) -> None:
        reason = "connection closed"
        try:
            while True:
                raw = ws.recv()
                if not raw:
                    break
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    self.on_push(frame["message"], len(raw))
                elif kind in ("ack", "error") and frame.get("id") in self.pending:
                    self.pending.pop(frame["id"]).set(frame)
                elif kind == "error":
                    reason = f"error frame {json.dumps(frame.get('error'))[:200]}"
        except websocket.WebSocketConnectionClosedException:
            pass
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        code = getattr(ws, "close_status", None) or getattr(ws, "status", None)
        for waiter in self.pending.values():
            waiter.set({"type": "error", "error": {"code": "DISCONNECTED"}})
        self.pending.clear()
        self.on_disconnect(f"ws closed ({code}): {reason}")

    def send_message(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.ws is None:
            raise AckError("not connected")
        request_id = f"r{next(self.ids)}"
        waiter: AsyncResult = AsyncResult()
        self.pending[request_id] = waiter
        self.ws.send(json.dumps({"type": "message.send", "id": request_id, "message": message}))
        try:
            reply: dict[str, Any] = waiter.get(timeout=ACK_TIMEOUT_S)
        except gevent.Timeout:
            self.pending.pop(request_id, None)
            raise AckError(f"no ack within {ACK_TIMEOUT_S} s") from None
        if reply.get("type") != "ack":
            raise AckError(json.dumps(reply.get("error"))[:300])
        event: dict[str, Any] = reply["message"]
        return event

    def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            self.ws.close()
        if self.reader is not None:
            self.reader.kill(block=False)

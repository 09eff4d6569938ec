"""Socket.IO user on python-socketio's sync ``socketio.Client`` over the websocket transport
(websocket-client underneath; its threads become greenlets under Locust's monkey-patching).
Automatic reconnection is off: the base class reconnects with the resume cursor and counts
the disconnect, so that the library does not hide one."""

from __future__ import annotations

import json
from typing import Any

import socketio

from rtspike.loadtests.base import AckError, RealtimeUser, RefusedError

TIMEOUT_S = 15.0


class SioUser(RealtimeUser):
    kind = "SIO"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sio: socketio.Client | None = None

    def open(self, token: str, cursor: str | None) -> None:
        sio = socketio.Client(reconnection=False)
        sio.on("message:new", self._on_message)
        sio.on("error", self._on_error)
        sio.on("disconnect", self._on_disconnected)
        try:
            sio.connect(
                self.base_url,
                auth={"token": token, "cursor": cursor},
                transports=["websocket"],
                socketio_path="socket.io",
                wait_timeout=TIMEOUT_S,
            )
        except socketio.exceptions.ConnectionError as exc:
            detail = exc.args[1] if len(exc.args) > 1 else exc.args[0] if exc.args else exc
            raise RefusedError(json.dumps(detail, default=str)[:300]) from None
        self.sio = sio
        self.closing = False

    def _on_message(self, event: dict[str, Any]) -> None:
        self.on_push(event)

    def _on_error(self, data: Any) -> None:
        self.on_disconnect(f"error event {json.dumps(data, default=str)[:200]}")

    def _on_disconnected(self, reason: Any = None) -> None:
        self.on_disconnect(f"sio disconnected: {reason}")

    def send_message(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.sio is None:
            raise AckError("not connected")
        try:
            reply = self.sio.call("message:send", message, timeout=TIMEOUT_S)
        except socketio.exceptions.TimeoutError:
            raise AckError(f"no ack within {TIMEOUT_S} s") from None
        if not isinstance(reply, dict) or not reply.get("ok"):
            error = reply.get("error") if isinstance(reply, dict) else reply
            raise AckError(json.dumps(error, default=str)[:300])
        event: dict[str, Any] = reply["message"]
        return event

    def close(self) -> None:
        self.closing = True
        if self.sio is not None:
            self.sio.disconnect()

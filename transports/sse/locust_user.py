"""Server-Sent Events user on ``requests`` (urllib3 sockets, which gevent patches): a streamed
GET parsed by httpx-sse's decoders (locust_stream.py) in a receiver greenlet, and a
separate keep-alive Session for the upstream ``POST /api/v1/messages``. Authenticates with
``Authorization: Bearer`` (the non-browser path; the browser path uses one-time tickets)."""

from __future__ import annotations

import json
from typing import Any

import gevent
import requests

from rtspike.loadtests.base import AckError, RealtimeUser, RefusedError
from rtspike.transports.sse.locust_stream import SseStream

TIMEOUT_S = 15.0


class SseUser(RealtimeUser):
    kind = "SSE"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream: requests.Response | None = None
        self.reader: gevent.Greenlet | None = None
        self.upstream = requests.Session()
        self.sse = SseStream()

    def open(self, token: str, cursor: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        resume = cursor or self.sse.last_event_id  # the stream's own id: when we have none
        if resume:
            headers["Last-Event-ID"] = resume
        resp = requests.get(
            f"{self.base_url}/realtime/sse", headers=headers, stream=True, timeout=(TIMEOUT_S, None)
        )
        if resp.status_code != 200:
            text = resp.text[:300]
            resp.close()
            raise RefusedError(f"SSE {resp.status_code}: {text}")
        self.stream = resp
        self.closing = False
        self.reader = gevent.spawn(self._read, resp)

    def _read(self, resp: requests.Response) -> None:
        reason = "stream ended"
        try:
            for event in self.sse.events(resp.iter_content(chunk_size=None)):
                if event.data:
                    self._dispatch(event.event, event.data)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        self.on_disconnect(f"sse closed: {reason}")

    def reconnect_delay_s(self) -> float:
        """The server's ``retry:`` when it sent one, else the default pause."""
        return self.sse.retry_s if self.sse.retry_s is not None else super().reconnect_delay_s()

    def _dispatch(self, event_name: str, data: str) -> None:
        if event_name == "message":
            self.on_push(json.loads(data), len(data))
        elif event_name == "error":
            self.on_disconnect(f"error event {data[:200]}")

    def send_message(self, message: dict[str, Any]) -> dict[str, Any]:
        resp = self.upstream.post(
            f"{self.base_url}/api/v1/messages",
            json=message,
            timeout=TIMEOUT_S,
            headers={"Authorization": f"Bearer {self.token}", "X-Rtspike-Transport": "sse"},
        )
        if resp.status_code != 201:
            raise AckError(f"{resp.status_code}: {resp.text[:300]}")
        event: dict[str, Any] = resp.json()["message"]
        return event

    def close(self) -> None:
        self.closing = True
        if self.stream is not None:
            self.stream.close()
        if self.reader is not None:
            self.reader.kill(block=False)
        self.upstream.close()

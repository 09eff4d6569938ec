"""The SSE wire format for the Locust user, on the ``requests`` byte stream (loaded on the Locust
side, like ``locust_user``), parsed with httpx-sse's spec decoders (the ones its ``iter_sse``
runs on an httpx response): linear in the stream (the hand-written parser it replaces re-copied
the buffer per line, 174 ms for 3,000 events in one chunk) and honouring ``id:`` (resume point)
and ``retry:`` (reconnect delay), also when they come in an event without data. Free of gevent
and Locust, so it is tested alone.

The decoders live in ``httpx_sse._decoders``: private, hence the upper bound on httpx-sse in
pyproject.toml (sseclient-py, the public alternative, drops ``retry:`` without ``data:``).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

__all__ = ["ServerSentEvent", "SseStream"]


@dataclass
class SseStream:
    """What the stream told us so far: the last event id and the server's retry, in seconds."""

    last_event_id: str | None = None
    retry_s: float | None = None

    def events(self, chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
        """Every dispatched event, data-less ones (retry/id only) included; an event cut off by
        the end of the stream is not dispatched (as the SSE spec says)."""
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        lines, decoder = SSELineDecoder(), SSEDecoder()
        for chunk in chunks:
            for line in lines.decode(text.decode(chunk)):
                yield from self._dispatch(decoder.decode(line))

    def _dispatch(self, event: ServerSentEvent | None) -> Iterator[ServerSentEvent]:
        if event is None:
            return
        if event.id:
            self.last_event_id = event.id
        if event.retry is not None:
            self.retry_s = event.retry / 1000
        yield event

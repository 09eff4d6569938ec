"""The Locust SSE user's parser on one large chunk: every event, in order, with ``id:`` and
``retry:`` honoured, and work that grows with the number of events, not with its square."""

from __future__ import annotations

import json
import time

from rtspike.transports.sse.locust_stream import SseStream


def chunk(n: int) -> bytes:
    """n events as our server writes them (id, data), a keep-alive comment and a retry."""
    parts = [b"retry: 2500\n\n", b": keep-alive\n\n"]
    for i in range(n):
        body = json.dumps({"seq": i + 1, "body": "x" * 100})
        parts.append(f"id: c{i + 1}\nevent: message\ndata: {body}\n\n".encode())
    return b"".join(parts)


def cpu_seconds_to_parse(n: int) -> float:
    data = chunk(n)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        count = sum(1 for e in SseStream().events([data]) if e.data)
        best = min(best, time.process_time() - start)
        assert count == n
    return best


def test_three_thousand_events_in_one_chunk_all_arrive_in_order_with_ids() -> None:
    stream = SseStream()
    events = [e for e in stream.events([chunk(3000)]) if e.data]
    assert [json.loads(e.data)["seq"] for e in events] == list(range(1, 3001))
    assert {e.event for e in events} == {"message"}
    assert stream.last_event_id == "c3000"
    assert stream.retry_s == 2.5


def test_events_split_across_chunks_at_any_byte_are_whole() -> None:
    data = chunk(50)
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    events = [e for e in SseStream().events(pieces) if e.data]
    assert [json.loads(e.data)["seq"] for e in events] == list(range(1, 51))


def test_parsing_grows_linearly_with_the_event_count() -> None:
    """4x the events in one chunk: ~4x the CPU for a linear parser, ~16x for the old one that
    re-copied the buffer per line. CPU time of this process, compared with itself."""
    small, large = cpu_seconds_to_parse(3000), cpu_seconds_to_parse(12000)
    assert large < 8 * max(small, 1e-3), (small, large)

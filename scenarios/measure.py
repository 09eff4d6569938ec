"""Measuring primitives shared by every scenario: one clock, HdrHistograms in microseconds,
open-loop schedules and per-(publisher, seq) delivery accounting.

Latency is counted from the *intended* send time of an open-loop schedule, so a stalled sender
shows up as latency instead of silently sending less (no coordinated omission). All stamps are
``time.monotonic_ns()``: CLOCK_MONOTONIC is system-wide on Linux, so stamps taken in the load
generator and compared in another process on the same host agree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 120_000_000
SIG_DIGITS = 3
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}


def now_ns() -> int:
    return time.monotonic_ns()


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIG_DIGITS)


def record_us(hist: HdrHistogram, micros: float) -> None:
    """Values outside the trackable range are clamped, never dropped (a drop would hide a
    worst case)."""
    hist.record_value(int(min(max(micros, LOWEST_US), HIGHEST_US)))


def encode(hist: HdrHistogram) -> str:
    raw = hist.encode()
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def decode(encoded: str) -> HdrHistogram:
    hist = new_histogram()
    if encoded:
        hist.decode_and_add(encoded.encode())
    return hist


def merge(encoded: Iterable[str]) -> HdrHistogram:
    """Histograms are merged, never their percentiles averaged."""
    total = new_histogram()
    for item in encoded:
        if item:
            total.decode_and_add(item.encode())
    return total


def summary_ms(hist: HdrHistogram) -> dict[str, float]:
    """p50..p99.9, max in milliseconds plus the count; empty histograms give NaN figures."""
    count = int(hist.get_total_count())
    if count == 0:
        nan = float("nan")
        return {**{k: nan for k in PERCENTILES}, "max": nan, "count": 0.0}
    out = {k: hist.get_value_at_percentile(p) / 1000.0 for k, p in PERCENTILES.items()}
    out["max"] = hist.get_max_value() / 1000.0
    out["count"] = float(count)
    return out


def schedule(rate_per_s: float, duration_s: float, start_ns: int) -> Iterator[int]:
    """Intended send times of an open-loop schedule at a fixed rate."""
    interval = 1e9 / rate_per_s
    n = int(rate_per_s * duration_s)
    for i in range(n):
        yield start_ns + int(i * interval)


async def sleep_until(t_ns: int) -> None:
    delay = (t_ns - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


class LoopLag:
    """Event-loop lag of the process it runs in: a 10 ms ticker's overshoot, in microseconds.
    A generator whose loop lags is measuring itself, not the server."""

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.hist = new_histogram()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    def reset(self) -> None:
        self.hist = new_histogram()

    async def _tick(self) -> None:
        while True:
            before = now_ns()
            await asyncio.sleep(self.interval_s)
            late_us = (now_ns() - before) / 1000 - self.interval_s * 1e6
            record_us(self.hist, late_us)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


@dataclass
class Deliveries:
    """What one receiver saw, per publisher: the sequence numbers in arrival order."""

    seen: dict[str, list[int]] = field(default_factory=dict)

    def add(self, publisher: str, seq: int) -> None:
        self.seen.setdefault(publisher, []).append(seq)


@dataclass
class Accounting:
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "reordered": self.reordered,
        }


def account(expected: dict[str, set[int]], seen: dict[str, list[int]]) -> Accounting:
    """Compare what a receiver should have seen (acked sends addressed to it) with what it saw.
    Lost = expected and never seen; duplicated = seen more than once; reordered = arrived with
    a lower seq than one already seen from the same publisher. Extra unexpected deliveries are
    not counted here: isolation checks them against the policy."""
    acc = Accounting()
    for publisher, want in expected.items():
        got = seen.get(publisher, [])
        unique = set(got)
        acc.delivered += len(unique & want)
        acc.lost += len(want - unique)
    for got in seen.values():
        acc.duplicated += len(got) - len(set(got))
        high = -1
        for s in got:
            if s < high:
                acc.reordered += 1
            high = max(high, s)
    return acc


def tag(run: str, seq: int) -> str:
    """client_msg_id carrying the publisher's seq (the publisher is the event's ``sender``);
    ``run`` keeps ids unique across repeats, since the server deduplicates on
    (sender, client_msg_id)."""
    return f"{run}.{seq}"


def parse_tag(client_msg_id: str) -> tuple[str, int] | None:
    run, _, seq = client_msg_id.rpartition(".")
    if not run or not seq.isdigit():
        return None
    return run, int(seq)


def percentile_dict(values: list[float]) -> dict[str, Any]:
    hist = new_histogram()
    for v in values:
        record_us(hist, v * 1000.0)
    return summary_ms(hist)

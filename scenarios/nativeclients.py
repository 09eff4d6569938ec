"""The browser clients the ``native`` scenario measures, and how one client's log becomes its
figures.

What a team ships with each library's defaults is the transport's spec (``native_clients``;
its ``browser_probe`` module has the connect code of each, which the probe page,
transports/web/src/probe.js, runs). ``ours``
(resilient.js over the transport) is measured next to every transport's native variants.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from rtspike.transports import registry
from rtspike.transports.spec import NativeClient

OURS = "ours"
DETECT = ("down", "final", "error")


OURS_DESCRIPTION = "resilient.js (backoff, token refresh, cursor resume, dedupe) over {transport}"


def native_clients(transport: str) -> tuple[NativeClient, ...]:
    """The transport's own browser clients, from its spec (none: nothing to measure)."""
    return registry.spec(transport).native_clients


def variants(transport: str) -> list[str]:
    return [v.name for v in native_clients(transport)] + [OURS]


@dataclass
class ClientLog:
    """What the page recorded (Date.now() ms) plus the outage as this client lived it."""

    variant: str
    events: list[tuple[float, str, str]] = field(default_factory=list)
    got: list[tuple[float, str]] = field(default_factory=list)
    fault_ms: float = 0.0
    end_ms: float = 0.0

    @classmethod
    def from_page(cls, variant: str, data: dict[str, list[list[object]]]) -> ClientLog:
        events = [(float(str(t)), str(k), str(d)) for t, k, d in data["events"]]
        got = [(float(str(t)), str(c)) for t, c in data["got"]]
        return cls(variant, events, got)

    def first(self, kinds: tuple[str, ...], after_ms: float) -> float | None:
        return next((t for t, k, _ in self.events if k in kinds and t >= after_ms), None)

    @property
    def ids(self) -> set[str]:
        return {c for _, c in self.got}

    @property
    def opened(self) -> bool:
        return any(k == "open" for _, k, _ in self.events)

    @property
    def final(self) -> bool:
        """The library gave up for good (closed with no retry) after the fault."""
        return self.first(("final",), self.fault_ms) is not None

    def recovered_at(self, acked_ms: dict[str, float]) -> float | None:
        """First delivery of a message sent after the outage ended: live again."""
        return next(
            (t for t, cid in self.got if t >= self.end_ms and acked_ms.get(cid, 0) >= self.end_ms),
            None,
        )

    def settled(self, acked_ms: dict[str, float]) -> bool:
        return self.final or self.recovered_at(acked_ms) is not None

    def lost(self, acked: set[str]) -> int:
        return len(acked - {c for _, c in self.got})

    def duplicated(self) -> int:
        ids = [c for _, c in self.got]
        return len(ids) - len(set(ids))


@dataclass
class Figures:
    """One (variant, fault)'s repeats: detection and recovery times with whether each
    happened inside the window (else the value is the window: a lower bound), and counts."""

    detect: list[float]
    detect_ok: list[bool]
    recovered: list[float]
    recovered_ok: list[bool]
    lost: list[float]
    duplicated: list[float]
    delivered: list[float]
    detect_note: str = ""
    recovered_note: str = ""

    @classmethod
    def of(
        cls,
        logs: list[ClientLog],
        acked_ms: dict[str, float],
        fault: str,
        window_s: float,
        p: dict[str, Any],
    ) -> Figures:
        acked = set(acked_ms)
        fig = cls([], [], [], [], [], [], [])
        for log in logs:
            seen = log.first(DETECT, log.fault_ms)
            if fault == "blackhole" and seen is not None and seen > log.end_ms:
                seen = None  # the network came back first: never detected while blackholed
            fig.detect.append((seen - log.fault_ms) / 1000 if seen is not None else window_s)
            fig.detect_ok.append(seen is not None)
            back = log.recovered_at(acked_ms)
            fig.recovered.append((back - log.end_ms) / 1000 if back is not None else p["window_s"])
            fig.recovered_ok.append(back is not None)
            fig.lost.append(float(log.lost(acked)))
            fig.duplicated.append(float(log.duplicated()))
            fig.delivered.append(float(len(log.ids)))
        n = len(logs)
        if missed := fig.detect_ok.count(False):
            fig.detect_note = f"{missed} of {n} never detected within {window_s:g} s"
        if failed := fig.recovered_ok.count(False):
            fig.recovered_note = f"{failed} of {n} did not recover within {p['window_s']:g} s"
        return fig

    @property
    def rank(self) -> tuple[float, float, float]:
        """Best first: recovered most often, then lost least, then back soonest."""
        return (
            -sum(self.recovered_ok),
            statistics.median(self.lost),
            statistics.median(self.recovered),
        )

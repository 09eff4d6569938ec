"""Pure bookkeeping for the Locust users: who logs in as whom, and what a push proves.

No gevent, no Locust here, so the asyncio test process can exercise the checks directly (a
check that cannot fail would make a green load test meaningless).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.ids import stable_id
from rtspike.transports.core.users import lga_ids

BODY_PREFIX = "lt"


@dataclass(frozen=True, slots=True)
class Identity:
    login: str
    user_id: str
    lga_id: str
    is_supervisor: bool

    @property
    def supervisor_id(self) -> str:
        return stable_id(f"sup.{self.lga_id}")


def identity_for(index: int, lgas: int, enumerators: int) -> Identity:
    """Spread users over LGAs first, so the first ``lgas`` users are the supervisors (the
    senders) and every team gets listeners before any team gets a second one."""
    lga = lga_ids(lgas)[index % lgas]
    slot = (index // lgas) % (enumerators + 1)
    login = f"sup.{lga}" if slot == 0 else f"enum.{lga}.{slot:03d}"
    return Identity(login, stable_id(login), lga, slot == 0)


def global_index(local_index: int, worker_index: int, workers: int) -> int:
    """Interleave workers so that N workers never log in as the same seed user twice."""
    return local_index * max(workers, 1) + max(worker_index, 0)


def make_body(lga_id: str, sent_at_ns: int, seq: int) -> str:
    """The sender's team travels inside the body: a server that mislabels ``lga_id`` and
    leaks a message is still caught by the receiver."""
    return f"{BODY_PREFIX}|{lga_id}|{sent_at_ns}|{seq}"


def body_lga(body: str) -> str | None:
    parts = body.split("|")
    return parts[1] if len(parts) >= 3 and parts[0] == BODY_PREFIX else None


def boundary_violation(me: Identity, event: dict[str, Any]) -> str | None:
    """Why this push must not have reached ``me``, or None when it may."""
    if event.get("lga_id") != me.lga_id:
        return f"event lga_id {event.get('lga_id')!r} is not {me.lga_id!r}"
    sender_lga = body_lga(str(event.get("body", "")))
    if sender_lga is not None and sender_lga != me.lga_id:
        return f"sender team {sender_lga!r} is not {me.lga_id!r}"
    recipient = event.get("recipient")
    if recipient is not None and recipient != me.user_id:
        return "direct message addressed to another user"
    return None


@dataclass
class SeqTracker:
    """Per-stream seq bookkeeping plus the resume cursor for the next reconnect."""

    cursor: Cursor = field(default_factory=Cursor)

    def observe(self, event: dict[str, Any]) -> str | None:
        """Returns "gap", "duplicate" or None, and advances the cursor."""
        stream, seq, epoch = str(event["stream"]), int(event["seq"]), str(event["epoch"])
        last = self.cursor.after(stream, epoch) if self.cursor.epoch == epoch else 0
        known = self.cursor.epoch == epoch and stream in self.cursor.positions
        self.cursor.advance(stream, seq, epoch)
        if not known:
            return None
        if seq <= last:
            return "duplicate"
        if seq > last + 1:
            return "gap"
        return None

    def encoded(self) -> str | None:
        return self.cursor.encode() if self.cursor.positions else None


def push_latency_ms(event: dict[str, Any], now_ns: int) -> float | None:
    """Receive time minus the intended send time the sender put in ``sent_at_ns``
    (``time.time_ns()``: wall clock, comparable on one host or NTP-synced hosts only)."""
    sent = event.get("sent_at_ns")
    if not isinstance(sent, int) or sent <= 0:
        return None
    return max(now_ns - sent, 0) / 1e6

"""The message shapes on every wire: what a client may send, and what everybody receives."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from rtspike.transports.core.decode import MAX_INT, check_value, decode_json, too_large
from rtspike.transports.core.errors import AppError, ErrorCode

MAX_BODY_CHARS = 4000


class MessageSend(BaseModel):
    """Client -> server. Exactly one of ``to`` (a user id) or ``broadcast`` (team room)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    to: str | None = Field(default=None, min_length=1, max_length=64)
    broadcast: bool = False
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    client_msg_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
    sent_at_ns: int | None = Field(
        default=None,
        ge=0,
        le=MAX_INT,
        description="Sender's monotonic stamp, echoed back for measuring.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> MessageSend:
        if self.broadcast == (self.to is not None):
            raise ValueError("give exactly one of 'to' or 'broadcast: true'")
        return self


class MessageEvent(BaseModel):
    """Server -> client. ``seq`` is contiguous per ``stream`` within one ``epoch``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    stream: str
    seq: int
    epoch: str
    sender: str
    sender_role: str
    recipient: str | None
    lga_id: str
    body: str
    client_msg_id: str
    sent_at: float
    sent_at_ns: int | None = None

    _json: str | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Field equality; the cached wire JSON is not part of a message's identity."""
        return isinstance(other, MessageEvent) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.id, self.stream, self.seq, self.epoch))

    def wire(self) -> str:
        """JSON encoded once per message, however many connections it reaches."""
        if self._json is None:
            self._json = self.model_dump_json()
        return self._json

    def wire_dict(self) -> dict[str, Any]:
        return dict(json.loads(self.wire()))

    @classmethod
    def from_wire(cls, raw: str | bytes) -> MessageEvent:
        event = cls.model_validate_json(raw)
        event._json = raw.decode() if isinstance(raw, bytes) else raw
        return event


def parse_send(raw: Any, max_bytes: int) -> MessageSend:
    """Validate untrusted input into a MessageSend or raise a structured AppError."""
    if isinstance(raw, str | bytes | bytearray):
        raw = decode_json(raw, max_bytes)
    elif isinstance(raw, dict):
        check_value(raw)
    if not isinstance(raw, dict):
        raise AppError(ErrorCode.VALIDATION_ERROR, "message must be a JSON object")
    body = raw.get("body")
    if isinstance(body, str) and len(body.encode()) > max_bytes:
        raise too_large(max_bytes)
    try:
        return MessageSend.model_validate(raw)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "message", "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        if any(p["field"] == "body" and "at most" in p["problem"] for p in problems):
            raise AppError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"body longer than {MAX_BODY_CHARS} characters",
                details={"max_chars": MAX_BODY_CHARS},
            ) from None
        raise AppError(
            ErrorCode.VALIDATION_ERROR, "invalid message", details={"problems": problems}
        ) from None

"""The one opaque position string: SSE event id, Socket.IO and WebSocket resume token, polling
``after``.

It records, per readable stream, the last seq seen, plus the log epoch those seqs belong to. A
cursor from another epoch (the log was reset) restarts every stream from the beginning.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rtspike.transports.core.decode import is_ascii_digits
from rtspike.transports.core.errors import AppError, ErrorCode

__all__ = [
    "MAX_CURSOR_CHARS",
    "Cursor",
]

_PREFIX = "c1"
MAX_CURSOR_CHARS = 4096


@dataclass(slots=True)
class Cursor:
    """A client's resume position, so that every transport and the REST poll resume the same
    way: per readable stream the last seq delivered, plus the log epoch those seqs belong to.

    Guarantees: ``encode``/``decode`` round-trip; a malformed or oversized cursor is a
    ``VALIDATION_ERROR`` (never a crash); ``restricted`` drops streams the holder may not
    read, so a tampered cursor gains nothing; within an epoch positions only move forward.
    """

    epoch: str = ""
    positions: dict[str, int] = field(default_factory=dict)

    def after(self, stream: str, epoch: str) -> int:
        """Last seq seen on ``stream``, or 0 when the cursor is from another epoch."""
        if self.epoch != epoch:
            return 0
        return self.positions.get(stream, 0)

    def advance(self, stream: str, seq: int, epoch: str) -> None:
        if self.epoch != epoch:
            self.epoch = epoch
            self.positions = {}
        if seq > self.positions.get(stream, 0):
            self.positions[stream] = seq

    def restricted(self, streams: Iterable[str]) -> Cursor:
        """Drop positions for streams the holder may not read (a tampered cursor gains nothing)."""
        allowed = set(streams)
        return Cursor(self.epoch, {s: q for s, q in self.positions.items() if s in allowed})

    def encode(self) -> str:
        return CursorEncoder()(self).decode()

    @classmethod
    def decode(cls, raw: str | None) -> Cursor:
        """Parse a client-supplied cursor; anything malformed is a VALIDATION_ERROR."""
        if raw is None or raw == "":
            return cls()
        if not isinstance(raw, str) or len(raw) > MAX_CURSOR_CHARS or not raw.startswith(_PREFIX):
            raise _bad_cursor()
        body = raw[len(_PREFIX) :]
        try:
            text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise _bad_cursor() from None
        epoch, *pairs = text.split("|")
        positions: dict[str, int] = {}
        for pair in pairs:
            stream, sep, seq = pair.rpartition("=")
            if not sep or not stream or not is_ascii_digits(seq) or len(seq) > 18:
                raise _bad_cursor()
            positions[stream] = int(seq)
        return cls(epoch, positions)

    @classmethod
    def of(cls, epoch: str, positions: Mapping[str, int]) -> Cursor:
        return cls(epoch, dict(positions))


class CursorEncoder:
    """The one cursor encoder, as bytes. A live connection encodes its cursor once per delivery
    (the SSE event id), so it keeps one of these: the sorted stream names are baked into a
    format that is rebuilt only when they change (within an epoch streams are only added)."""

    __slots__ = ("_fmt", "_keys", "_shape")

    def __init__(self) -> None:
        self._shape: tuple[str, int] = ("", -1)
        self._keys: tuple[str, ...] = ()
        self._fmt = b""

    def __call__(self, cursor: Cursor) -> bytes:
        return cursor_id(self.text(cursor))

    def text(self, cursor: Cursor) -> bytes:
        """The cursor before its base64 (``cursor_id``): connections of one room at one event
        have equal texts, so a caller can encode one of them for all."""
        pos = cursor.positions
        if self._shape != (cursor.epoch, len(pos)):
            self._shape = (cursor.epoch, len(pos))
            self._keys = tuple(sorted(pos))
            parts = [cursor.epoch.replace("%", "%%")]
            parts += [f"|{k.replace('%', '%%')}=%d" for k in self._keys]
            self._fmt = "".join(parts).encode()
        return self._fmt % tuple([pos[k] for k in self._keys])


def cursor_id(text: bytes) -> bytes:
    """A ``CursorEncoder.text`` as the cursor clients send back."""
    return _PREFIX_B + binascii.b2a_base64(text, newline=False).translate(_B64URL).rstrip(b"=")


_PREFIX_B = _PREFIX.encode()
_B64URL = bytes.maketrans(b"+/", b"-_")


def _bad_cursor() -> AppError:
    return AppError(ErrorCode.VALIDATION_ERROR, "cursor is malformed", details={"field": "cursor"})

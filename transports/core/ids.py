"""Identifiers: uuidv7 everywhere (time-ordered, as the story asks), never uuid4."""

from __future__ import annotations

import hashlib
import secrets
import uuid

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())


def stable_id(seed: str, unix_ms: int = 1_767_225_600_000) -> str:
    """A deterministic uuidv7 (fixed timestamp, hashed random bits) for the dev seed."""
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((digest >> 68) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= digest & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)

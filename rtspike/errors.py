"""Errors the CLI shows as one line (no traceback unless --debug)."""

from __future__ import annotations

from rtspike.transports.core.errors import RtspikeError


class UsageError(RtspikeError):
    """The user asked for something we cannot do; the message says what to change."""

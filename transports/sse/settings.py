"""The SSE adapter's own knobs, from ``RTSPIKE_SSE_*`` environment variables: a setting that
only one transport reads lives with it, not in the core's ``Settings``."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rtspike.transports.core.settings import settings_error

PREFIX = "RTSPIKE_SSE_"


class SseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    retry_ms: int = Field(2000, ge=100)
    """The stream's ``retry:`` line: how long a native EventSource waits before it reconnects."""


def load_sse_settings() -> SseSettings:
    """Read once when the routes are mounted, so a bad value stops the server before it serves
    (as a ``SettingsError`` naming the variable, like the core's)."""
    try:
        return SseSettings()
    except ValidationError as exc:
        raise settings_error(exc, PREFIX) from None

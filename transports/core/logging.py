"""Structured log lines (structlog): readable on a terminal, JSON otherwise. Any field that could
hold a credential is masked."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog

_SENSITIVE = ("token", "ticket", "password", "secret", "authorization", "cookie")
_configured = False


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(s in key.lower() for s in _SENSITIVE):
            event[key] = "[redacted]"
    return event


def _renderer(out: Any) -> Any:
    """Readable lines for a person at a terminal, JSON for files, pipes and log collectors;
    RTSPIKE_LOG_FORMAT=json|console overrides the guess."""
    chosen = os.environ.get("RTSPIKE_LOG_FORMAT", "").lower()
    is_tty = bool(getattr(out, "isatty", lambda: False)())
    if chosen == "console" or (chosen != "json" and is_tty):
        return structlog.dev.ConsoleRenderer(colors=is_tty)
    return structlog.processors.JSONRenderer()


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (not when logging was configured), so
    a replaced stderr (pytest's capture, a daemon's redirect) never leaves a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Idempotent; every process entry point calls it once."""
    global _configured
    out = stream or _CurrentStderr()
    logging.basicConfig(format="%(message)s", stream=stream or sys.stderr, level=level)
    logging.getLogger().setLevel(level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            _renderer(out),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, out)),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str = "rtspike") -> Any:
    if not _configured:
        configure_logging()
    return structlog.get_logger(name)

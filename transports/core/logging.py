"""Structured JSON log lines (structlog). Any field that could hold a credential is masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SENSITIVE = ("token", "ticket", "password", "secret", "authorization", "cookie")
_configured = False


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if any(s in key.lower() for s in _SENSITIVE):
            event[key] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Idempotent; every process entry point calls it once."""
    global _configured
    logging.basicConfig(format="%(message)s", stream=stream or sys.stderr, level=level)
    logging.getLogger().setLevel(level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str = "rtspike") -> Any:
    if not _configured:
        configure_logging()
    return structlog.get_logger(name)

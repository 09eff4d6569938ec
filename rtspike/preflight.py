"""Checks run before anything starts, so that a missing dependency is one sentence that says what
to do instead of a traceback halfway through a run."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

from rtspike.scenarios.processes import port_is_free
from rtspike.transports.core.errors import RtspikeError


class PreflightError(RtspikeError):
    """Something the run needs is missing; the message says what to do about it."""


def check_port(host: str, port: int, flag: str = "--port") -> None:
    if not port_is_free(host, port):
        raise PreflightError(
            f"port {port} on {host} is already in use; stop whatever holds it "
            f"or pass {flag} with a free port."
        )


def redact(url: str) -> str:
    """scheme://host:port of a URL: never a password in an error line."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}"


def check_redis(url: str, flag: str = "--redis") -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise PreflightError(
            f"no Redis answers at {redact(url)} ({type(exc).__name__}); start one "
            f"(`make redis`) or fix {flag}."
        ) from None


# binary -> (what needs it, how to get it)
TOOLS: dict[str, tuple[str, str]] = {
    "node": ("the Node peers and the browser bundles", "install Node.js 20 (apt install nodejs)"),
    "chromium": ("the native-client scenario and the browser tests", "apt install chromium"),
    "nginx": ("the proxy scenario", "apt install nginx (scripts/ensure-nginx.sh)"),
    "redis-server": ("the Redis-restart case", "apt install redis-server"),
}


# scenario -> the binaries it runs (it reports "not measured" without them)
TOOLS_OF_SCENARIO: dict[str, tuple[str, ...]] = {
    "native": ("chromium",),
    "proxy": ("nginx",),
}


def missing_tools(names: list[str]) -> list[str]:
    """One line per missing binary, saying what needs it and how to install it."""
    return [
        f"{name} is not installed ({TOOLS[name][0]} needs it): {TOOLS[name][1]}."
        for name in names
        if shutil.which(name) is None and shutil.which(f"/usr/sbin/{name}") is None
    ]

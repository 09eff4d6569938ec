"""Turn settings URLs into backend instances; the only place that knows every backend."""

from __future__ import annotations

from transports.core.bus.base import Bus
from transports.core.log.base import MessageLog
from transports.core.settings import Settings
from transports.core.store.base import Store


def open_store(settings: Settings) -> Store:
    url = settings.resolved_store_url
    if url.startswith("memory://"):
        from transports.core.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite://"):
        from transports.core.store.sqlite import SqliteStore

        return SqliteStore(url)
    from transports.core.store.redis import RedisStore

    return RedisStore(url, prefix=settings.redis_prefix)


def open_log(settings: Settings) -> MessageLog:
    url = settings.resolved_log_url
    if url.startswith("memory://"):
        from transports.core.log.memory import MemoryLog

        return MemoryLog()
    if url.startswith("sqlite://"):
        from transports.core.log.sqlite import SqliteLog

        return SqliteLog(url)
    from transports.core.log.redis import RedisLog

    return RedisLog(url, prefix=settings.redis_prefix)


def open_bus(settings: Settings) -> Bus:
    if settings.bus_url == "local":
        from transports.core.bus.local import LocalBus

        return LocalBus()
    from transports.core.bus.redis import RedisBus

    return RedisBus(settings.bus_url, prefix=settings.redis_prefix)

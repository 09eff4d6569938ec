"""Turn settings URLs into backend instances; the only place that knows every backend."""

from __future__ import annotations

from rtspike.transports.core.bus.base import Bus
from rtspike.transports.core.log.base import MessageLog
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.store.base import Store


def open_store(settings: Settings) -> Store:
    url = settings.resolved_store_url
    if url.startswith("memory://"):
        from rtspike.transports.core.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite://"):
        from rtspike.transports.core.store.sqlite import SqliteStore

        return SqliteStore(url)
    from rtspike.transports.core.store.redis import RedisStore

    return RedisStore(url, prefix=settings.redis_prefix)


def open_log(settings: Settings) -> MessageLog:
    url = settings.resolved_log_url
    if url.startswith("memory://"):
        from rtspike.transports.core.log.memory import MemoryLog

        return MemoryLog()
    if url.startswith("sqlite://"):
        from rtspike.transports.core.log.sqlite import SqliteLog

        return SqliteLog(url)
    from rtspike.transports.core.log.redis import RedisLog

    return RedisLog(url, prefix=settings.redis_prefix)


def open_bus(settings: Settings) -> Bus:
    if settings.bus_url == "local":
        from rtspike.transports.core.bus.local import LocalBus

        return LocalBus()
    from rtspike.transports.core.bus.redis import RedisBus

    return RedisBus(settings.bus_url, prefix=settings.redis_prefix)

"""Removing one deployment's keys from a shared Redis: every backend namespaces its keys under
``settings.redis_prefix``, so benchmarks and tests clean up exactly what they created."""

from __future__ import annotations

import redis.asyncio as aioredis


async def delete_prefix(url: str, prefix: str) -> int:
    """Delete every key that starts with ``prefix``; returns how many were deleted."""
    client = aioredis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        return int(await client.delete(*keys)) if keys else 0
    finally:
        await client.aclose()

"""An asyncio transport and aiohttp protocol stand-in for the write path, without a network:
``stall()`` puts the transport over its high-water mark, ``resume()`` lets the peer read."""

from __future__ import annotations

import asyncio
from typing import Any

HIGH = 64 * 1024


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.buffered = 0
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return HIGH // 4, HIGH

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> Any:
        return None

    def abort(self) -> None:
        self.aborted = self.closing = True


class FakeProtocol:
    def __init__(self) -> None:
        self._paused = False
        self.resumed = asyncio.Event()

    async def _drain_helper(self) -> None:
        await self.resumed.wait()


class FakeRequest:
    def __init__(self) -> None:
        self.transport = FakeTransport()
        self.protocol = FakeProtocol()

    def stall(self) -> None:
        self.transport.buffered = HIGH + 1
        self.protocol._paused = True
        self.protocol.resumed.clear()

    def resume(self) -> None:
        self.transport.buffered = 0
        self.protocol._paused = False
        self.protocol.resumed.set()

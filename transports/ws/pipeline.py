"""Pipelined sends on one ws connection: up to ``bound`` ``message.send`` in flight, replies
in request order.

Awaiting each ``hub.send`` before reading the next frame serialises a sender: its broadcasts
reach the log one at a time, so each one's fan-out is flushed on its own and a burst of N costs
N writes per receiving socket. With several in flight their log appends complete together (the
SQLite writer takes a batch at a time) and their deliveries share one flush per socket, as SSE's
concurrent POSTs already did. Replies stay in the order the frames came (an ack never
overtakes an earlier request's ack or error), and the receive loop stops reading while
``bound`` sends are pending, so a fast sender is held back by TCP, not buffered.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

Reply = Callable[[bytes], None]


class _Slot:
    """One reply's place in the order; ``frame`` is None until its send completes."""

    __slots__ = ("frame",)

    def __init__(self, frame: bytes | None = None) -> None:
        self.frame = frame


class ReplyPipeline:
    def __init__(self, bound: int, reply: Reply, on_crash: Callable[[BaseException], bytes]):
        self._bound = max(1, bound)
        self._reply = reply
        self._on_crash = on_crash
        self._slots: deque[_Slot] = deque()
        self._pending: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    def reply(self, frame: bytes) -> None:
        """An immediate reply (pong, error): written now unless earlier replies are pending."""
        if self._slots:
            self._slots.append(_Slot(frame))
        else:
            self._reply(frame)

    def submit(self, work: Coroutine[Any, Any, bytes]) -> None:
        slot = _Slot()
        self._slots.append(slot)
        task = asyncio.get_running_loop().create_task(self._run(work, slot))
        self._pending.add(task)
        if len(self._pending) >= self._bound:
            self._room.clear()

    async def wait_room(self) -> None:
        """Back-pressure: returns once fewer than ``bound`` sends are in flight."""
        await self._room.wait()

    async def finish(self) -> None:
        """The connection is ending: let accepted sends complete (each is a log append the
        client may retry by client_msg_id if it never saw the ack)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    async def _run(self, work: Coroutine[Any, Any, bytes], slot: _Slot) -> None:
        """Writes the reply in the same step the send completes (so an ack still leaves
        before the fan-out of its own message reaches the sender's socket)."""
        try:
            slot.frame = await work
        except asyncio.CancelledError as exc:
            slot.frame = self._on_crash(exc)
            raise
        except Exception as exc:
            slot.frame = self._on_crash(exc)
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._pending.discard(task)
            if len(self._pending) < self._bound:
                self._room.set()
            self._drain()

    def _drain(self) -> None:
        while self._slots and self._slots[0].frame is not None:
            frame = self._slots.popleft().frame
            assert frame is not None
            self._reply(frame)

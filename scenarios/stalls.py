"""What a stuck asyncio run is waiting on: every pending task's await chain, down to the
future it sits on (Task.print_stack shows only the outermost frame of a suspended coroutine).
The runner logs it when a scenario overruns its budget, and long test fixtures when they are
still running, so that a hang says where it is."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from rtspike.transports.core.logging import get_logger

log = get_logger("rtspike.stalls")


def await_chain(coro: Any) -> list[str]:
    """``module.py:line function`` per frame, outermost first (file names only: no paths)."""
    lines: list[str] = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            where = Path(frame.f_code.co_filename).name
            lines.append(f"{where}:{frame.f_lineno} {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return lines


def pending_chains() -> dict[str, list[str]]:
    me = asyncio.current_task()
    return {t.get_name(): await_chain(t.get_coro()) for t in asyncio.all_tasks() if t is not me}


@contextlib.asynccontextmanager
async def report_if_still_running(what: str, after_s: float) -> AsyncIterator[None]:
    """Log every pending task's await chain, in one line, if the body is still running after
    ``after_s`` (the body is not interrupted: the test's own timeout decides)."""

    async def watch() -> None:
        await asyncio.sleep(after_s)
        log.error("stalls.pending", what=what, after_s=after_s, waiting=pending_chains())

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()

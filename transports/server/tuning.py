"""Process-wide tuning of a server process, applied by ``serve`` once it has started (never by
the library: tests and embedders build apps without touching the interpreter).

Both are about the tail at a steady broadcast rate, not about throughput:

- ``gc.freeze()`` once started: modules, the seed directory and the app's own structures
  (about 120,000 tracked objects here) move to the permanent generation, so every later full
  collection walks only what the traffic created instead of stopping the loop for all of it.
- a 1 ms GIL switch interval (CPython's default is 5 ms): the SQLite reader thread (store
  lookups of every authentication, catch-up pages) needs the GIL back after each statement,
  and while the loop thread is busy fanning out it would wait up to 5 ms per hand-off.
"""

from __future__ import annotations

import gc
import sys

from aiohttp import web

SWITCH_INTERVAL_S = 0.001


async def _freeze(_: web.Application) -> None:
    gc.collect()
    gc.freeze()


def tune(app: web.Application) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app.on_startup.append(_freeze)

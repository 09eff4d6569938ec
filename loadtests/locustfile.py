"""Locust entry point: one user class per transport over one shared base.

    python -m locust -f loadtests/locustfile.py WsUser --host http://127.0.0.1:8000

The user classes come from the registry: each transport's spec names its gevent Locust user
(``transports/<name>/locust_user.py``, a ``RealtimeUser`` from ``loadtests/base.py``); Locust
finds them as module globals. Reading a spec imports nothing asyncio. Importing
``loadtests.hdr`` registers the microsecond HdrHistogram merging and its web UI tab.
Options: ``--rtspike-*`` (see ``locust --help``) or the matching environment variables.
"""

from __future__ import annotations

import os

import gevent
from locust import runners

# A worker whose event loop is starved for CPU (load generator and servers on one small box)
# misses Locust's 3 s heartbeat window and the master then ignores it; be more patient.
runners.HEARTBEAT_LIVENESS = int(os.environ.get("RTSPIKE_LT_HEARTBEAT_LIVENESS", "10"))

from rtspike.loadtests import hdr  # noqa: E402
from rtspike.loadtests.base import RealtimeUser  # noqa: E402
from rtspike.transports import registry  # noqa: E402
from rtspike.transports.spec import resolve  # noqa: E402


def user_classes() -> dict[str, type[RealtimeUser]]:
    """Locust class name -> class, one per registered transport."""
    found: dict[str, type[RealtimeUser]] = {}
    for spec in registry.specs():
        cls = resolve(spec.locust_user)
        if not (isinstance(cls, type) and issubclass(cls, RealtimeUser)):
            raise TypeError(f"{spec.locust_user} is not a RealtimeUser")
        found[spec.locust_class_name] = cls
    return found


USERS = user_classes()
globals().update(USERS)

# Importing the user classes' libraries takes seconds on a loaded box, and gevent's loop clock
# is only advanced when the loop runs: a ``--run-time`` timer armed right after this import
# would then start from a stale "now" and fire at once (a run with no requests at all).
gevent.get_hub().loop.update_now()

__all__ = ["USERS", "hdr", *USERS]

"""Locust entry point: one user class per transport over one shared base.

    python -m locust -f loadtests/locustfile.py WsUser --host http://127.0.0.1:8000

Clients (all patchable by gevent): WsUser = websocket-client; SseUser = requests (streamed GET
+ POST upstream); SioUser = python-socketio's sync Client over websocket-client. Importing
``loadtests.hdr`` registers the microsecond HdrHistogram merging and its web UI tab.
Options: ``--rtspike-*`` (see ``locust --help``) or the matching environment variables.
"""

from __future__ import annotations

import os

from locust import runners

# A worker whose event loop is starved for CPU (load generator and servers on one small box)
# misses Locust's 3 s heartbeat window and the master then ignores it; be more patient.
runners.HEARTBEAT_LIVENESS = int(os.environ.get("RTSPIKE_LT_HEARTBEAT_LIVENESS", "10"))

from rtspike.loadtests import hdr  # noqa: E402
from rtspike.loadtests.sio_user import SioUser  # noqa: E402
from rtspike.loadtests.sse_user import SseUser  # noqa: E402
from rtspike.loadtests.ws_user import WsUser  # noqa: E402

__all__ = ["SioUser", "SseUser", "WsUser", "hdr"]

"""The ws Locust user on the copy's path (gevent side: imports nothing asyncio)."""

from __future__ import annotations

from rtspike.transports.ws.locust_user import WsUser


class WsxUser(WsUser):
    kind = "WSX"
    path = "/realtime/wsx"

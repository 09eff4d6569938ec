"""The ws server again, at ``/realtime/wsx``, tagging logs and metrics with ``wsx``."""

from __future__ import annotations

from rtspike.transports.ws.connection import WsConnection
from tests.fourth import NAME, PATH
from tests.fourth.copy import copy_module


class WsxConnection(WsConnection):
    transport = NAME


_server = copy_module(
    "rtspike.transports.ws.server",
    "tests.fourth._ws_server",
    NAME=NAME,
    PATH=PATH,
    WsConnection=WsxConnection,
)
mount = _server.mount

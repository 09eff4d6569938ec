"""The ws Python client again, connecting to ``/realtime/wsx``."""

from __future__ import annotations

from tests.fourth import NAME, PATH
from tests.fourth.copy import copy_module

_client = copy_module("rtspike.transports.ws.client", "tests.fourth._ws_client", PATH=PATH)


class Client(_client.Client):  # type: ignore[name-defined,misc]
    name = NAME

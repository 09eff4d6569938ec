"""The ws lean receiver on the copy's path."""

from __future__ import annotations

from rtspike.transports.ws.lean import LeanWs
from tests.fourth import PATH


class LeanWsx(LeanWs):
    path = PATH

"""Assemble the core from settings: the one place that wires store, log, bus, auth, policy."""

from __future__ import annotations

import time
from collections.abc import Callable

from rtspike.transports.core.auth import Authenticator
from rtspike.transports.core.backends import open_bus, open_log, open_store
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.metrics import Metrics
from rtspike.transports.core.policy import Policy, TeamResolver
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.tokens import TokenService
from rtspike.transports.core.users import UserDirectory, dev_directory


def build_hub(
    settings: Settings,
    users: UserDirectory | None = None,
    resolver: TeamResolver | None = None,
    clock: Callable[[], float] = time.time,
) -> Hub:
    """Not started: the caller awaits ``hub.start()`` inside its event loop."""
    users = users or dev_directory(settings.seed_lgas, settings.seed_enumerators)
    store = open_store(settings)
    tokens = TokenService(settings, clock)
    auth = Authenticator(settings, tokens, store, users, clock)
    policy = Policy(users, resolver)
    return Hub(
        settings, store, open_log(settings), open_bus(settings), auth, policy, Metrics(), clock
    )

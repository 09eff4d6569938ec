"""The only list of transports. Adding a fourth = one folder (exporting ``SPEC``) + one line here.

Everything that needs to know which transports exist (the app, the CLI, the fault routes, the
demo page and its bundles, scenarios, Locust, the report's facts check) asks this module.
Packages are imported on first use, so listing names costs nothing.

``RTSPIKE_EXTRA_TRANSPORTS`` (``name=package,...``) appends transports from outside the tree;
the test suite uses it to prove that a fourth transport is picked up with no other edit.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rtspike.transports.spec import Mount, TransportSpec, Upstream

if TYPE_CHECKING:
    from rtspike.transports.clients.base import RealtimeClient

__all__ = [
    "TRANSPORTS",
    "client",
    "folder",
    "names",
    "rest_upstream",
    "server",
    "spec",
    "specs",
    "tail_reference",
]

TRANSPORTS: dict[str, str] = {
    "socketio": "rtspike.transports.socketio",
    "sse": "rtspike.transports.sse",
    "ws": "rtspike.transports.ws",
}
EXTRA_ENV = "RTSPIKE_EXTRA_TRANSPORTS"
DEMO_DEFAULT = "ws"
"""The transport the demo page opens with when the URL names none."""
TAIL_REFERENCES: dict[str, str] = {"socketio": "ws"}
"""Issue 16: a transport whose latency tail is held to another's rtspike server on the same run
(Socket.IO's p99/p99.9 within 1.2x of the raw WebSocket's); ``bench peers`` reports the ratio
when both are measured. A relation between two transports, so it lives here, not in either."""


def _extra(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, package = item.partition("=")
        if not sep or not name.strip() or not package.strip():
            raise ValueError(f"{EXTRA_ENV} takes name=package[,name=package]; got {item!r}")
        found[name.strip()] = package.strip()
    return found


TRANSPORTS.update(_extra(os.environ.get(EXTRA_ENV, "")))


def names() -> list[str]:
    return list(TRANSPORTS)


@cache
def _load(name: str, package: str) -> TransportSpec:
    found = getattr(importlib.import_module(package), "SPEC", None)
    if not isinstance(found, TransportSpec):
        raise TypeError(f"{package} must export SPEC = TransportSpec(...)")
    if found.name != name:
        raise ValueError(f"{package}.SPEC is named {found.name!r}, registered as {name!r}")
    return found


def spec(name: str) -> TransportSpec:
    if name not in TRANSPORTS:
        raise KeyError(f"unknown transport {name!r}; choose from {', '.join(TRANSPORTS)}")
    return _load(name, TRANSPORTS[name])


def specs() -> list[TransportSpec]:
    return [spec(name) for name in TRANSPORTS]


def folder(name: str) -> Path:
    """The adapter's own folder: its spec's file fields (the browser code) are paths in it."""
    spec(name)
    module = importlib.import_module(TRANSPORTS[name])
    if module.__file__ is None:
        raise TypeError(f"{TRANSPORTS[name]} has no file to find its folder by")
    return Path(module.__file__).resolve().parent


def server(name: str) -> Mount:
    """The function that adds ``name``'s routes to an app: ``server(name)(app, hub)``."""
    return spec(name).load_mount()


def client(name: str) -> type[RealtimeClient]:
    return spec(name).load_client()


def tail_reference(name: str) -> str:
    """The transport ``name``'s latency tail is held to (``""``: none)."""
    return TAIL_REFERENCES.get(name, "")


def rest_upstream() -> frozenset[str]:
    """Transport names a REST send may be tagged with: REST itself and every transport whose
    sends go up over REST."""
    return frozenset({"rest", *(s.name for s in specs() if s.upstream is Upstream.REST)})

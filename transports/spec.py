"""What a transport adapter tells the rest of the harness about itself.

Each adapter package exports one ``SPEC`` from its ``__init__.py``; ``registry.py`` finds it.
Everything else that used to list transports by name (the app's defaults, the fault routes, the
demo page and its bundles, the lean receivers, the Locust users, the report's facts) asks the
spec instead, so a fourth transport is its own folder plus one line in the registry.

The spec is deliberately light: the parts that pull in a framework (the server's ``mount``, the
asyncio client, the lean receiver, the gevent Locust user) are ``"module:attribute"`` strings
resolved only when asked for. Locust (gevent) reads specs without loading anything asyncio, and
the asyncio side never loads gevent.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from rtspike.transports.clients.base import RealtimeClient
    from rtspike.transports.core.hub import Hub

__all__ = [
    "Baseline",
    "Capabilities",
    "Infra",
    "Mount",
    "NativeClient",
    "TransportSpec",
    "Upstream",
    "resolve",
]


class Upstream(StrEnum):
    """Which way a client's sends travel."""

    SOCKET = "socket"
    """Up the same connection the pushes come down (acknowledged in-band)."""
    REST = "rest"
    """As ``POST /api/v1/messages``, tagged with the transport's name for the metrics."""


@dataclass(frozen=True)
class Capabilities:
    """Facts about the protocol that change how it is deployed, in the spirit of centrifuge's
    ``TransportInfo``. They are descriptive (the report and docs show them); behaviour that
    depends on one reads it from here rather than from the transport's name."""

    unidirectional: bool
    """Server-to-client only; the client cannot send on the connection (see ``Upstream``)."""
    binary: bool
    """The connection can carry binary frames (the harness sends JSON text on all of them)."""
    sticky_with_polling: bool
    """Behind several nodes, its HTTP long-polling fallback needs sticky sessions."""
    app_level_ping: bool
    """Liveness is an application message (not a protocol ping the browser answers itself)."""
    browser_native: bool
    """Browsers have a built-in API for it; the page needs no client library."""


@dataclass(frozen=True)
class NativeClient:
    """One way a team ships the transport's browser client with the library's defaults and
    nothing of ours (the ``native`` and ``proxy`` scenarios measure each; the connect code is
    the ``name`` entry of the ``native`` table in the transport's ``browser_probe`` module)."""

    name: str
    description: str


@dataclass(frozen=True)
class Infra:
    """What the transport asks of the infrastructure in front of it."""

    nginx_location: tuple[str, ...] = ()
    """The nginx ``location`` lines its documentation asks for on top of ``proxy_pass``."""
    origin_client: str = ""
    """The native client the per-origin limit opens 8 of."""
    proxy_buffers_stream: bool = False
    """Its stream is an HTTP response that reverse proxies buffer unless the server sends
    ``X-Accel-Buffering: no`` (the proxy scenario also measures that default without it)."""


@dataclass(frozen=True)
class Baseline:
    """A bare-library server ``rtspike bench peers`` measures the transport against: the loop a
    team writes itself on the library the adapter is built on, with no auth, no log and no
    bounds. It is bench code in ``<transport folder>/baselines/``, never imported by the
    adapter; it speaks enough of the transport's wire for the adapter's own lean receivers
    to count its deliveries, and broadcasts when told to over ``/peer/control``."""

    name: str
    """Unique over every transport's baselines (``--baselines``, the ``case`` in results)."""
    label: str
    """What it does, in the library's own terms (tables, report, run manifest)."""
    entry: str
    """Path relative to the transport's folder: a ``.py`` module (run as ``python -m``) or a
    ``.cjs`` Node script. Either gets ``*args`` then the port to listen on."""
    args: tuple[str, ...] = ()
    stock: bool = False
    """The library's obvious path (what a team gets); the ratio table marks it."""

    @property
    def node(self) -> bool:
        return self.entry.endswith(".cjs")


class Mount(Protocol):
    def __call__(self, app: web.Application, hub: Hub) -> None: ...


def resolve(ref: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module, _, attr = ref.partition(":")
    if not attr:
        raise ValueError(f"{ref!r} is not of the form 'module:attribute'")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class TransportSpec:
    """One transport, as the registry knows it. ``name`` is the registry key, the value of
    ``--transport``, the ``transport`` label in metrics and results, and the bundle name."""

    name: str
    label: str
    """Human name for the demo page, the CLI and the report."""
    paths: tuple[str, ...]
    """URL path prefixes its server answers (fault injection blocks exactly these)."""
    mount: str
    """``module:function`` adding the server's routes to the app: ``mount(app, hub)``."""
    client: str
    """``module:Class``: the asyncio ``RealtimeClient``."""
    upstream: Upstream
    lean_receiver: str
    """``module:Class``: the light receiver the load generator uses in bulk."""
    lean_kind: str
    """One line on what the lean receiver is (recorded in the run manifest)."""
    locust_user: str
    """``module:Class``: the gevent Locust user. Its module must import nothing asyncio."""
    locust_client: str
    """One line on the library the Locust user runs on (recorded in ``run.json``)."""
    browser_client: str
    """The browser adapter ``resilient.js`` drives. It and the other browser files are paths in
    the adapter's own folder (``registry.folder(name)``), so ``transports/web`` names none."""
    browser_entry: str
    """Entry file of the demo page over this transport, bundled as ``dist/<name>.js``."""
    react_entry: str
    """Entry file of the React 18 page over ``useRealtimeConnection``, bundled as
    ``dist/react-<name>.js``."""
    capabilities: Capabilities
    native_clients: tuple[NativeClient, ...] = field(default=())
    """What a team ships without us, first = the library's out-of-the-box default."""
    browser_probe: str = ""
    """Its module for the native-client probe page (``""``: none): it exports ``ours``, the
    ``browser_client`` factory, and ``native``, the connect code of each of ``native_clients``
    by name. The build imports every transport's module into the one probe bundle, so the
    generic ``transports/web/src/probe.js`` names none."""
    infra: Infra = field(default_factory=Infra)
    library_loggers: tuple[str, ...] = field(default=())
    """Third-party loggers too chatty for a benchmark run (quieted to WARNING)."""
    baselines: tuple[Baseline, ...] = field(default=())
    """The bare-library servers ``rtspike bench peers`` runs beside this transport."""

    def load_mount(self) -> Mount:
        mount: Mount = resolve(self.mount)
        return mount

    def load_client(self) -> type[RealtimeClient]:
        cls: type[RealtimeClient] = resolve(self.client)
        return cls

    @property
    def locust_class_name(self) -> str:
        """The name Locust is given on its command line (known without importing gevent)."""
        return self.locust_user.rpartition(":")[2]

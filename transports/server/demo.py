"""The browser demo: ``/demo`` (the page), ``/demo/react`` (the same over the React 18 hook
``useRealtimeConnection``) and ``/demo/static/<name>`` (their esbuild bundles).

The bundles are build output (``make web``), never committed; when they are missing the page
still loads and the static route answers a JSON error that says how to build them.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from rtspike.transports import registry
from rtspike.transports.core.errors import AppError, ErrorCode

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
PAGE = WEB_DIR / "demo.html"
REACT_PAGE = WEB_DIR / "react.html"
DIST = WEB_DIR / "dist"
BASELINE = "baseline"
PROBES = ("probe",)
"""Measurement pages' bundles (the native-client probe): served, never part of the size table."""
_STATIC_NAME = re.compile(r"^(?:[a-z-]+\.js|meta\.json)$")
_NO_CACHE = {"Cache-Control": "no-cache"}


def bundles() -> tuple[str, ...]:
    """The page without any transport (the size baseline), then one bundle per transport."""
    return (BASELINE, *registry.names())


def react_bundles() -> tuple[str, ...]:
    """The same, as React 18 pages over ``useRealtimeConnection`` (``react-baseline``: none)."""
    return tuple(f"react-{name}" for name in bundles())


def missing_bundle(name: str) -> AppError:
    return AppError(
        ErrorCode.NOT_FOUND,
        f"demo bundle {name!r} is not built: run `make web` (or scripts/build-web.sh)",
        details={"bundle": name},
    )


async def page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={**_NO_CACHE, "Content-Type": "text/html"})


async def react_page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(REACT_PAGE, headers={**_NO_CACHE, "Content-Type": "text/html"})


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if not _STATIC_NAME.match(name) or name.removesuffix(".js") not in (
        *bundles(),
        *react_bundles(),
        *PROBES,
        "meta.json",
    ):
        raise AppError(ErrorCode.NOT_FOUND, f"no demo file {name[:64]!r}")
    path = DIST / name
    if not path.is_file():
        raise missing_bundle(name)
    kind = "application/json" if name.endswith(".json") else "text/javascript"
    return web.FileResponse(path, headers={**_NO_CACHE, "Content-Type": kind})


def mount_demo(app: web.Application) -> None:
    app.router.add_get("/demo", page)
    app.router.add_get("/demo/react", react_page)
    app.router.add_get("/demo/static/{name}", static)

"""The browser demo: ``/demo`` (the page), ``/demo/react`` (the same over the React 18 hook
``useRealtimeConnection``) and ``/demo/static/<name>`` (their esbuild bundles).

The page's transport picker and labels come from the registry (a JSON block injected into
``demo.html``), and so does the list of bundles the build makes: ``python -m
rtspike.transports.server.demo`` prints ``{bundle: entry file}`` for ``build.mjs``.

The bundles are build output (``make web``), never committed; when they are missing the page
still loads and the static route answers a JSON error that says how to build them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from rtspike.transports import registry
from rtspike.transports.core.errors import AppError, ErrorCode

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
PAGE = WEB_DIR / "demo.html"
REACT_PAGE = WEB_DIR / "react.html"
DIST = Path(os.environ.get("RTSPIKE_WEB_DIST") or WEB_DIR / "dist")
"""Build output; ``RTSPIKE_WEB_DIST`` points elsewhere (scripts/build-web.sh honours it too)."""
BASELINE = "baseline"
PROBE = "probe"
PROBES = (PROBE,)
"""Measurement pages' bundles (the native-client probe): served, never part of the size table."""
_SLOT = "<!-- rtspike:transports -->"
_STATIC_NAME = re.compile(r"^(?:[a-z-]+\.js|meta\.json)$")
_NO_CACHE = {"Cache-Control": "no-cache"}


def bundles() -> tuple[str, ...]:
    """The page without any transport (the size baseline), then one bundle per transport."""
    return (BASELINE, *registry.names())


def react_bundles() -> tuple[str, ...]:
    """The same, as React 18 pages over ``useRealtimeConnection`` (``react-baseline``: none)."""
    return tuple(f"react-{name}" for name in bundles())


def entries() -> dict[str, dict[str, Any]]:
    """What ``build.mjs`` builds: bundle name -> its entry file (absolute) and its baseline.
    The generic pages are in ``transports/web/src``, each transport's in its own folder. The
    probe has no baseline (it is not measured) and lists each transport's probe module: the
    build generates its entry from them."""
    src = WEB_DIR / "src"

    def entry(file: Path, baseline: str) -> dict[str, str]:
        return {"src": str(file.resolve()), "baseline": baseline}

    react_base = f"react-{BASELINE}"
    found: dict[str, dict[str, Any]] = {
        BASELINE: entry(src / "baseline.js", BASELINE),
        react_base: entry(src / "react-baseline.jsx", react_base),
    }
    for spec in registry.specs():
        own = registry.folder(spec.name)
        found[spec.name] = entry(own / spec.browser_entry, BASELINE)
        found[f"react-{spec.name}"] = entry(own / spec.react_entry, react_base)
    found[PROBE] = {
        "src": str((src / "probe.js").resolve()),
        "transports": {
            s.name: str((registry.folder(s.name) / s.browser_probe).resolve())
            for s in registry.specs()
            if s.browser_probe
        },
    }
    return found


def page_data() -> dict[str, Any]:
    """What the page needs to know about the transports: the picker, labels, upstream kind."""
    names = registry.names()
    return {
        "default": registry.DEMO_DEFAULT if registry.DEMO_DEFAULT in names else names[0],
        "transports": [
            {"name": s.name, "label": s.label, "upstream": s.upstream.value}
            for s in registry.specs()
        ],
    }


def render_page(path: Path) -> str:
    """The page with the registry's transports where it says ``<!-- rtspike:transports -->``."""
    data = json.dumps(page_data()).replace("</", "<\\/")
    tag = f'<script id="rtspike-transports" type="application/json">{data}</script>'
    return path.read_text().replace(_SLOT, tag, 1)


def missing_bundle(name: str) -> AppError:
    return AppError(
        ErrorCode.NOT_FOUND,
        f"demo bundle {name!r} is not built: run `make web` (or scripts/build-web.sh)",
        details={"bundle": name},
    )


async def page(_: web.Request) -> web.Response:
    return web.Response(text=render_page(PAGE), content_type="text/html", headers=_NO_CACHE)


async def react_page(_: web.Request) -> web.Response:
    return web.Response(text=render_page(REACT_PAGE), content_type="text/html", headers=_NO_CACHE)


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


__all__ = ["DIST", "bundles", "entries", "mount_demo", "page_data", "react_bundles"]


def mount_demo(app: web.Application) -> None:
    app.router.add_get("/demo", page)
    app.router.add_get("/demo/react", react_page)
    app.router.add_get("/demo/static/{name}", static)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(entries(), indent=2) + "\n")

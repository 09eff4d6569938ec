"""Bytes each transport adds to the browser, on two pages built by scripts/build-web.sh:

- the plain demo page (``dist/<t>.js`` over ``dist/baseline.js``, the page without a transport);
- the React 18 page with the ``useRealtimeConnection`` hook (``dist/react-<t>.js`` over
  ``dist/react-baseline.js``, the same React page with REST sends only): what a React 18 app
  pays for the realtime layer, hook and reconnect logic included.

Sizes are esbuild-minified bytes, gzip -9 and brotli q11. Each row's note names the npm
packages that transport's bundle pulls in (from package-lock.json), nothing else."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from rtspike.scenarios.context import Context
from rtspike.transports import registry

NAME = "bundle"
NEEDS_REDIS = False
WEB = Path(__file__).resolve().parents[2] / "transports" / "web"
DIST = WEB / "dist"
REACT_PACKAGES = ("react", "react-dom")
_JS_IMPORT = re.compile(r"""^\s*import\s[^'"]*['"]([^'".][^'"]*)['"]""", re.M)


def sizes(path: Path) -> dict[str, int]:
    import brotli  # the bench extra; the manifest imports this module for web_versions alone

    raw = path.read_bytes()
    return {
        "min_bytes": len(raw),
        "gzip_bytes": len(gzip.compress(raw, compresslevel=9, mtime=0)),
        "brotli_bytes": len(brotli.compress(raw, quality=11)),
    }


def web_versions() -> dict[str, str]:
    """Pinned npm versions (package.json) and, when installed, the resolved ones."""
    out: dict[str, str] = {}
    try:
        pkg = json.loads((WEB / "package.json").read_text())
    except (OSError, ValueError):
        return out
    for section in ("dependencies", "devDependencies"):
        for name, spec in pkg.get(section, {}).items():
            out[name] = spec
            installed = WEB / "node_modules" / name / "package.json"
            if installed.exists():
                out[name] = json.loads(installed.read_text()).get("version", spec)
    return out


def locked_versions(web: Path = WEB) -> dict[str, str]:
    """Every package of transports/web/package-lock.json with its exact resolved version."""
    try:
        lock = json.loads((web / "package-lock.json").read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for key, info in lock.get("packages", {}).items():
        if key.startswith("node_modules/") and "version" in info:
            out[key.removeprefix("node_modules/")] = str(info["version"])
    return out


def browser_packages(transport: str) -> list[str]:
    """npm packages the transport's browser client imports (its spec's ``browser_client``)."""
    path = registry.folder(transport) / registry.spec(transport).browser_client
    if not path.exists():
        return []
    names = _JS_IMPORT.findall(path.read_text())
    return sorted(
        {"/".join(n.split("/")[:2]) if n.startswith("@") else n.split("/")[0] for n in names}
    )


def package_note(packages: list[str], versions: dict[str, str], native: str) -> str:
    if not packages:
        return native
    return ", ".join(f"{p} {versions.get(p, 'not locked')}" for p in packages)


async def run(ctx: Context, transport: str) -> None:
    bundle = DIST / f"{transport}.js"
    if not bundle.exists():
        ctx.results.add(
            NAME,
            transport,
            "min_bytes",
            float("nan"),
            "B",
            valid=False,
            note="not measured: this install has no built browser bundles; in a source "
            "checkout run `make web`, or install a wheel built with `make wheel`",
        )
        return
    versions = locked_versions()
    packages = browser_packages(transport)
    note = package_note(packages, versions, "no npm package (the browser's own API)")
    s = sizes(bundle)
    for metric, value in s.items():
        ctx.results.add(NAME, transport, metric, value, "B", note=note)
    base = DIST / "baseline.js"
    if base.exists():
        b = sizes(base)
        ctx.results.add(NAME, transport, "gzip_added_bytes", s["gzip_bytes"] - b["gzip_bytes"], "B")
        ctx.results.add(NAME, transport, "min_added_bytes", s["min_bytes"] - b["min_bytes"], "B")
        ctx.results.add(
            NAME, transport, "brotli_added_bytes", s["brotli_bytes"] - b["brotli_bytes"], "B"
        )
    react, react_base = DIST / f"react-{transport}.js", DIST / "react-baseline.js"
    if react.exists() and react_base.exists():
        r, rb = sizes(react), sizes(react_base)
        react_note = package_note([*REACT_PACKAGES, *packages], versions, "")
        for kind in ("min", "gzip", "brotli"):
            added = r[f"{kind}_bytes"] - rb[f"{kind}_bytes"]
            ctx.results.add(
                NAME, transport, f"react_{kind}_added_bytes", added, "B", note=react_note
            )
        ctx.results.add(
            NAME, transport, "react_baseline_gzip_bytes", rb["gzip_bytes"], "B", note=react_note
        )

"""Bytes each transport adds to the browser: the esbuild-minified demo client bundle
(transports/web/dist/<name>.js, built by scripts/build-web.sh), its gzip -9 and brotli sizes,
and the gzip bytes it adds over ``baseline.js`` (the same page without any transport)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli

from rtspike.scenarios.context import Context

NAME = "bundle"
NEEDS_REDIS = False
WEB = Path(__file__).resolve().parents[2] / "transports" / "web"
DIST = WEB / "dist"


def sizes(path: Path) -> dict[str, int]:
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
            note=f"{bundle} missing: run scripts/build-web.sh (make web)",
        )
        return
    s = sizes(bundle)
    case = ""
    note = ", ".join(f"{k} {v}" for k, v in web_versions().items())
    for metric, value in s.items():
        ctx.results.add(NAME, transport, metric, value, "B", case, note=note)
    base = DIST / "baseline.js"
    if base.exists():
        b = sizes(base)
        ctx.results.add(
            NAME, transport, "gzip_added_bytes", s["gzip_bytes"] - b["gzip_bytes"], "B", case
        )
        ctx.results.add(
            NAME, transport, "min_added_bytes", s["min_bytes"] - b["min_bytes"], "B", case
        )

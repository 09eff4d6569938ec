"""Implementation effort, counted from the source tree: non-blank non-comment lines of each
transport's server half (its Python package minus client.py) and client halves (client.py plus
the browser entry), and the third-party packages the transport adds beyond what the core and the
REST API already need (from its imports, Python and npm alike)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
from pathlib import Path

from rtspike.scenarios.context import Context
from rtspike.transports import registry

NAME = "effort"
NEEDS_REDIS = False
ROOT = Path(__file__).resolve().parents[2]
SHARED = ("transports/core", "transports/server", "transports/clients")
_JS_IMPORT = re.compile(r"""(?:from\s+|import\s*\(\s*|require\s*\(\s*)["']([^"'./][^"']*)["']""")


def loc(path: Path) -> int:
    count = 0
    in_block = False
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if path.suffix == ".js":
            if in_block:
                in_block = "*/" not in line
                continue
            if line.startswith("/*"):
                in_block = "*/" not in line
                continue
            if not line or line.startswith("//"):
                continue
        elif not line or line.startswith("#"):
            continue
        count += 1
    return count


def python_imports(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "transports"}


def distributions(modules: set[str]) -> set[str]:
    mapping = md.packages_distributions()
    return {d for m in modules for d in mapping.get(m, [m])}


def js_packages(path: Path) -> set[str]:
    if not path.exists():
        return set()
    names = set(_JS_IMPORT.findall(path.read_text()))
    return {"/".join(n.split("/")[:2]) if n.startswith("@") else n.split("/")[0] for n in names}


def _py_files(rel: str) -> list[Path]:
    p = ROOT / rel
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


async def run(ctx: Context, transport: str) -> None:
    package = ROOT / registry.TRANSPORTS[transport].replace(".", "/")
    files = sorted(package.glob("*.py"))
    client_py = [f for f in files if f.name == "client.py"]
    server_py = [f for f in files if f.name != "client.py"]
    browser = registry.folder(transport) / registry.spec(transport).browser_client
    shown = str(browser.relative_to(ROOT)) if browser.is_relative_to(ROOT) else browser.name
    server_loc = sum(loc(f) for f in server_py)
    client_loc = sum(loc(f) for f in client_py) + (loc(browser) if browser.exists() else 0)
    web_src = ROOT / "transports" / "web" / "src"
    shared_js = sum(loc(web_src / f) for f in ("resilient.js", "api.js", "cursor.js"))
    ctx.results.add(
        NAME,
        transport,
        "browser_glue_loc",
        loc(browser) if browser.exists() else 0,
        "lines",
        note=f"{shown}: what plugs the transport into resilient.js for zero "
        f"loss (resilient.js + api.js + cursor.js, {shared_js} lines, are shared by all)",
    )
    shared = distributions(python_imports([f for r in SHARED for f in _py_files(r)]))
    added = sorted(distributions(python_imports(files)) - shared)
    npm = sorted(js_packages(browser))
    deps = added + [f"npm:{n}" for n in npm]
    ctx.results.add(
        NAME,
        transport,
        "server_loc",
        server_loc,
        "lines",
        note=", ".join(f.name for f in server_py),
    )
    ctx.results.add(
        NAME,
        transport,
        "client_loc",
        client_loc,
        "lines",
        note=", ".join([f.name for f in client_py] + [shown]),
    )
    ctx.results.add(
        NAME,
        transport,
        "dependencies",
        len(deps),
        "count",
        note=", ".join(deps) or "none beyond the core",
    )

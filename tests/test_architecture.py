"""The dependency rule of DESIGN.md, enforced by walking every import in the tree.

Imports are read from the source (``import`` statements and dotted module strings handed to
``importlib`` or ``python -m``), so a rule cannot be dodged by importing by name at run time.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from rtspike.transports import registry

ROOT = Path(__file__).resolve().parents[1]
TOP = ("transports", "scenarios", "reports", "loadtests")
ADAPTERS = tuple(f"rtspike.transports.{name}" for name in registry.names())
_MODULE_STRING = re.compile(r"^rtspike(\.\w+)+(:\w+)?$")


def imports_of(folder: str, root: Path = ROOT) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for path in sorted((root / folder).rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(path, node.module)]
                found += [(path, f"{node.module}.{alias.name}") for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _MODULE_STRING.match(node.value):
                    found += [(path, node.value.split(":")[0])]
    return found


def offenders(folder: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return sorted(
        {
            f"{path.relative_to(root)} imports {name}"
            for path, name in imports_of(folder, root)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        }
    )


@pytest.mark.parametrize("folder", [*TOP, "rtspike", "tests"])
def test_everything_is_imported_through_the_rtspike_namespace(folder: str) -> None:
    """A bare ``transports.x`` would load a second copy of the module (two enums, two hubs)."""
    assert offenders(folder, TOP) == []


def test_core_knows_no_transport_and_no_web_framework() -> None:
    forbidden = (
        *ADAPTERS,
        "aiohttp",
        "socketio",
        "engineio",
        "websockets",
        "httpx",
        "httpx_sse",
        "rtspike.transports.server",
        "rtspike.transports.clients",
        "rtspike.transports.registry",
        "rtspike.scenarios",
        "rtspike.reports",
        "rtspike.loadtests",
        "rtspike.cli",
        "rtspike.commands",
    )
    assert offenders("transports/core", forbidden) == []


def test_scenarios_reach_transports_only_through_the_registry() -> None:
    assert offenders("scenarios", ADAPTERS) == []


def test_reports_read_results_files_only() -> None:
    forbidden = ("rtspike.transports", "rtspike.scenarios", "rtspike.loadtests", "rtspike.cli")
    assert offenders("reports", forbidden) == []


def test_adapters_do_not_import_each_other_nor_the_rest_api() -> None:
    """Adapters share the HTTP edge (``server.http``), never the REST API's routes."""
    for name in registry.names():
        others = tuple(a for a in ADAPTERS if not a.endswith(f".{name}"))
        folder = f"transports/{name}"
        assert offenders(folder, (*others, "rtspike.transports.server.api")) == []


def test_only_baselines_reach_the_bench() -> None:
    """A transport's ``baselines/`` are bench code (bare-library servers for ``bench peers``)
    that may use the scenarios' baseline plumbing; nothing else under transports imports them
    or the scenarios, so serving a transport never loads bench code."""
    bench = ("rtspike.scenarios", *(f"{a}.baselines" for a in ADAPTERS))
    found = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imports_of("transports")
        if "baselines" not in path.relative_to(ROOT).parts
        and any(module == f or module.startswith(f + ".") for f in bench)
    )
    assert found == []


ASYNCIO_SIDE = ("rtspike.transports.clients", "rtspike.transports.server", "aiohttp")


def _asyncio_modules_of_adapters() -> tuple[str, ...]:
    """Every adapter module except its spec (the package) and its gevent side (``locust_*``)."""
    found = []
    for name in registry.names():
        package = registry.TRANSPORTS[name]
        folder = ROOT / "transports" / name
        found += [
            f"{package}.{path.stem}"
            for path in sorted(folder.glob("*.py"))
            if path.stem != "__init__" and not path.stem.startswith("locust_")
        ]
    return tuple(found)


def test_loadtests_use_no_asyncio_client() -> None:
    """Locust runs on gevent; the asyncio clients and servers must never load there. It reaches
    the adapters through their specs and their ``locust_user`` modules only; an adapter's
    ``locust_*`` modules import only each other."""
    forbidden = (*ASYNCIO_SIDE, *_asyncio_modules_of_adapters())
    assert offenders("loadtests", forbidden) == []
    for name in registry.names():
        gevent_side = f"{registry.TRANSPORTS[name]}.locust_"
        found = [
            f"{path.relative_to(ROOT)} imports {module}"
            for path, module in imports_of(f"transports/{name}")
            if path.stem.startswith("locust_")
            and any(module.startswith(f) for f in (*ASYNCIO_SIDE, *ADAPTERS))
            and not module.startswith(gevent_side)
        ]
        assert found == [], name


def test_specs_import_nothing_heavy() -> None:
    """Reading every spec (what Locust and the CLI do) loads no web framework and no adapter
    module: the heavy parts are dotted strings resolved on demand."""
    code = (
        "import sys; from rtspike.transports import registry; registry.specs(); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiohttp', 'socketio', 'engineio', 'websockets', 'httpx', 'gevent', 'locust') "
        "or (m.startswith('rtspike.transports.') and m.count('.') > 2 "
        "and not m.endswith('.spec'))); print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "from rtspike.transports.ws.server import mount\nimport aiohttp\n"
        "import importlib\nimportlib.import_module('rtspike.transports.sse.client')\n"
    )
    found = offenders(
        "pkg", ("rtspike.transports.ws", "rtspike.transports.sse", "aiohttp"), tmp_path
    )
    assert found == [
        "pkg/m.py imports aiohttp",
        "pkg/m.py imports rtspike.transports.sse.client",
        "pkg/m.py imports rtspike.transports.ws.server",
        "pkg/m.py imports rtspike.transports.ws.server.mount",
    ]


# Where a transport's registry key may appear outside its own folder: the registry, the facts
# tables, tests, docs, and the dependency manifests (package names such as ``ws``).
NAMES_ALLOWED = (
    "transports/registry.py",
    "reports/*.toml",
    "tests/*",
    "README.md",
    "docs/*",
    "pyproject.toml",
    "uv.lock",
    "transports/web/package*.json",
)


def _key(names: Iterable[str]) -> re.Pattern[str]:
    """A key as an identifier or string, not inside ``python-socketio``, ``httpx_sse``, a path
    segment or ``ws://``."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w./-])({alternatives})(?![\w/-]|://)")


# An npm package is named by its module specifier (``require("ws")``, ``from "ws"``), not a key.
_SPECIFIER = re.compile(r"""\brequire\(\s*(["'])[^"']*\1\s*\)|\b(?:from|import)\s+(["'])[^"']*\2""")


def own_folders() -> dict[str, str]:
    """Each registered transport's folder in the tree (``transports/ws/``); one registered from
    outside the tree owns nothing here."""
    found = {name: registry.folder(name) for name in registry.names()}
    return {
        name: f"{path.relative_to(ROOT).as_posix()}/" if path.is_relative_to(ROOT) else "\0"
        for name, path in found.items()
    }


def tracked_files(root: Path = ROOT) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    return [p for p in out.stdout.decode().split("\0") if p]


def name_offenders(
    paths: Iterable[str], folders: Mapping[str, str], root: Path = ROOT
) -> list[str]:
    """Every path, and every line, outside the allowed places that names a transport other than
    the one whose folder it is in."""
    found = []
    for path in paths:
        if any(fnmatch.fnmatch(path, pattern) for pattern in NAMES_ALLOWED):
            continue
        others = [n for n, folder in folders.items() if not path.startswith(folder)]
        if not others:
            continue
        key = _key(others)
        if set(re.split(r"[/._-]", path)) & set(others):
            found.append(f"{path} (its name)")
        file = root / path
        if file.is_symlink() or not file.is_file():
            continue
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if key.search(_SPECIFIER.sub("", line)):
                found.append(f"{path}:{number}: {line.strip()[:100]}")
    return found


def test_transport_names_appear_only_in_their_folders_and_the_registry() -> None:
    """Adding a transport stays one folder and one registry line: nothing else in the tree
    names a transport by its key (issue 10)."""
    assert name_offenders(tracked_files(), own_folders()) == []


def test_the_name_rule_detects_a_violation(tmp_path: Path) -> None:
    files = {
        "scenarios/pick.py": 'DEFAULT = "ws"\nNOTE = "python-socketio, httpx_sse, ws://h, SSE"\n',
        "transports/web/src/clients/ws.js": "export const x = 1;\n",
        "transports/sse/client.py": "# unlike ws, the stream is one way\n# sse is ours\n",
        "transports/ws/server.py": 'NAME = "ws"\n',
        "transports/socketio/baselines/b.cjs": 'const { S } = require("ws");\nimport x from "ws";',
        "tests/test_x.py": 'T = "socketio"\n',
        "reports/adr.toml": 'transport = "sse"\n',
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    folders = {n: f"transports/{n}/" for n in ("socketio", "sse", "ws")}
    assert name_offenders(files, folders, tmp_path) == [
        'scenarios/pick.py:1: DEFAULT = "ws"',
        "transports/web/src/clients/ws.js (its name)",
        "transports/sse/client.py:1: # unlike ws, the stream is one way",
    ]

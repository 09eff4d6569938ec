"""The dependency rule of DESIGN.md, enforced by walking every import in the tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from transports import registry

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = tuple(registry.TRANSPORTS.values())


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
    return found


def offenders(folder: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for path, name in imports_of(folder, root)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_core_knows_no_transport_and_no_web_framework() -> None:
    forbidden = (
        *ADAPTERS,
        "aiohttp",
        "socketio",
        "engineio",
        "websockets",
        "httpx",
        "httpx_sse",
        "transports.api",
        "transports.app",
        "transports.registry",
        "transports.client",
        "scenarios",
        "reports",
        "loadtests",
    )
    assert offenders("transports/core", forbidden) == []


@pytest.mark.parametrize("folder", ["scenarios"])
def test_scenarios_reach_transports_only_through_the_registry(folder: str) -> None:
    assert offenders(folder, ADAPTERS) == []


def test_reports_read_results_files_only() -> None:
    assert offenders("reports", ("transports", "scenarios", "loadtests")) == []


def test_adapters_do_not_import_each_other() -> None:
    for name, package in registry.TRANSPORTS.items():
        others = tuple(p for n, p in registry.TRANSPORTS.items() if n != name)
        assert offenders(package.replace(".", "/"), others) == []


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "from transports.ws.server import mount\nimport aiohttp\n"
    )
    found = offenders("pkg", ("transports.ws", "aiohttp"), root=tmp_path)
    assert found == ["pkg/m.py imports transports.ws.server", "pkg/m.py imports aiohttp"]

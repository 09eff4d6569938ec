"""One server-process manager and one free_port (scenarios/processes.py) for scenarios,
loadtests and tests: a second copy would drift (a readiness check, a kill order, children that
outlive their parent)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("transports", "scenarios", "reports", "loadtests", "rtspike", "tests")
OWNER = ROOT / "scenarios" / "processes.py"
SPAWNS_SERVE = re.compile(r'"-m",\s*"rtspike",\s*"serve"')
DEFINES_FREE_PORT = re.compile(r"^\s*def _?free_port\(", re.M)


def sources() -> list[Path]:
    found = []
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" not in path.parts and path != Path(__file__).resolve():
                found.append(path)
    return found


def test_only_processes_py_spawns_servers_and_picks_ports() -> None:
    spawners = [p for p in sources() if SPAWNS_SERVE.search(p.read_text())]
    porters = [p for p in sources() if DEFINES_FREE_PORT.search(p.read_text())]
    assert [p.relative_to(ROOT) for p in spawners] == [OWNER.relative_to(ROOT)]
    assert [p.relative_to(ROOT) for p in porters] == [OWNER.relative_to(ROOT)]


def test_the_rule_sees_a_copy() -> None:
    copy = 'def free_port():\n    pass\ncmd = [sys.executable, "-m", "rtspike", "serve"]\n'
    assert SPAWNS_SERVE.search(copy) and DEFINES_FREE_PORT.search(copy)

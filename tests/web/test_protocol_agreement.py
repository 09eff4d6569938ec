"""The browser clients and the Python side use the same wire constants (close codes and the
reconnect rule): node imports ``src/protocol.js`` and the values are compared with Python's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports.core.errors import TERMINAL_RANGE, CloseCode, should_reconnect

WEB = Path(__file__).resolve().parents[2] / "transports" / "web"
_DUMP = """
import * as p from "./src/protocol.js";
const probes = [1000, 1006, 4001, 4499, 4500, 4501, 4999, 5000];
console.log(JSON.stringify({
  close: p.CLOSE, terminal: p.TERMINAL_RANGE,
  reconnect: Object.fromEntries(probes.map((c) => [c, p.shouldReconnect(c)])),
}));
"""


@pytest.fixture(scope="module")
def js() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing; install Node.js 18+ to test the browser clients")
    out = subprocess.run(
        [node, "--input-type=module", "-e", _DUMP],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_js_close_codes_are_pythons(js: dict[str, Any]) -> None:
    assert js["close"] == {c.name: c.value for c in CloseCode}
    assert js["terminal"] == [TERMINAL_RANGE.start, TERMINAL_RANGE.stop - 1]
    assert {int(c): r for c, r in js["reconnect"].items()} == {
        c: should_reconnect(c) for c in map(int, js["reconnect"])
    }


def test_no_close_code_literals_outside_the_tables() -> None:
    """Every other module names codes through ``CloseCode`` (Python) or ``CLOSE`` (JS)."""
    codes = [c.value for c in CloseCode if c is not CloseCode.NORMAL] + [4500, 4999]
    literal = re.compile(r"(?<![\w.])(" + "|".join(map(str, codes)) + r")(?![\w.])")
    root = WEB.parent
    tables = {root / "core" / "errors.py", WEB / "src" / "protocol.js"}
    files = [*root.rglob("*.py"), *(WEB / "src").rglob("*.js")]
    offenders = []
    for path in files:
        if path in tables or "node_modules" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0] if path.suffix == ".py" else line.split("//", 1)[0]
            if literal.search(code):
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert offenders == []

"""The browser clients and the Python side use the same wire constants (close codes, the
reconnect rule and the resilient client's state table): node imports ``src/protocol.js`` and
the values are compared with Python's."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports.clients.resilient.state import POLL_SCHEDULE_S, TRANSITIONS, State
from rtspike.transports.core.errors import TERMINAL_RANGE, CloseCode, should_reconnect

WEB = Path(__file__).resolve().parents[2] / "transports" / "web"
_DUMP = """
import * as p from "./src/protocol.js";
const probes = [1000, 1006, 4001, 4499, 4500, 4501, 4999, 5000];
console.log(JSON.stringify({
  close: p.CLOSE, terminal: p.TERMINAL_RANGE,
  reconnect: Object.fromEntries(probes.map((c) => [c, p.shouldReconnect(c)])),
  states: p.STATES, transitions: p.TRANSITIONS, poll: p.POLL_SCHEDULE,
  refused: p.STATES.flatMap((a) => p.STATES.map((b) => [a, b])).filter(([a, b]) => {
    try { p.checkTransition(a, b); return false; }
    catch (e) { return e instanceof p.IllegalTransition; }
  }),
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


def test_js_states_and_transition_table_are_pythons(js: dict[str, Any]) -> None:
    assert js["states"] == [s.value for s in State]
    assert {k: set(v) for k, v in js["transitions"].items()} == {
        s.value: {t.value for t in targets} for s, targets in TRANSITIONS.items()
    }
    refused = {(a.value, b.value) for a in State for b in State if a != b} - {
        (a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets
    }
    assert {tuple(pair) for pair in js["refused"]} == refused, "JS must refuse what Python does"


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


def test_the_default_poll_schedule_is_the_same(js: dict[str, Any]) -> None:
    assert [float(x) for x in js["poll"]] == list(POLL_SCHEDULE_S)

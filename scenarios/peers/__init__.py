"""Bare-library baselines for `rtspike bench peers`: every transport's declared ``baselines``
(its spec), and how to start one.

Each baseline serves the receivers of the transport that declares it (``receiver``), so that a
ratio rtspike / baseline compares the same bytes to the same clients. Node baselines run only
when ``node`` is on PATH and the web package's lockfile has been installed (``npm ci`` in
transports/web, which ``scripts/build-web.sh`` does).
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from rtspike.transports import registry
from rtspike.transports.spec import Baseline

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / "transports" / "web" / "node_modules"
_REQUIRE = re.compile(r"""\brequire\(\s*["']([^"'./][^"']*)["']\s*\)""")


def npm_packages(script: Path) -> list[str]:
    """The npm packages a Node script requires (its ``require("...")`` calls, less ``node:``
    builtins and relative paths): read from the script, so there is no second list to drift."""
    found = set()
    for spec in _REQUIRE.findall(script.read_text()):
        if not spec.startswith("node:"):
            parts = spec.split("/")
            found.add("/".join(parts[:2] if spec.startswith("@") else parts[:1]))
    return sorted(found)


@dataclass(frozen=True)
class Peer:
    """One baseline of one transport's spec."""

    receiver: str
    baseline: Baseline

    @property
    def npm(self) -> list[str]:
        """What a Node baseline needs from the web package's installed lockfile."""
        if not self.baseline.node:
            return []
        return npm_packages(registry.folder(self.receiver) / self.baseline.entry)

    def command(self, port: int) -> list[str]:
        entry, args = self.baseline.entry, self.baseline.args
        if self.baseline.node:
            node = shutil.which("node") or "node"
            return [node, str(registry.folder(self.receiver) / entry), *args, str(port)]
        package = registry.TRANSPORTS[self.receiver]
        module = f"{package}.{entry.removesuffix('.py').replace('/', '.')}"
        return [sys.executable, "-m", module, *args, str(port)]


def declared() -> list[Peer]:
    """Every registered transport's baselines, in registry then declaration order."""
    return [Peer(s.name, b) for s in registry.specs() for b in s.baselines]


def node_ready() -> bool:
    """node on PATH and every npm package a Node baseline requires installed."""
    wanted = {pkg for p in declared() for pkg in p.npm}
    return shutil.which("node") is not None and all(
        (NODE_MODULES / pkg / "package.json").exists() for pkg in wanted
    )


def available(names: list[str] | None = None) -> list[Peer]:
    """The baselines this machine can run (Node ones need node and the installed lockfile)."""
    ok = node_ready()
    return [
        p
        for p in declared()
        if (names is None or p.baseline.name in names) and (ok or not p.baseline.node)
    ]

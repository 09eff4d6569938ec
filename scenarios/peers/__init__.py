"""Bare-library baselines for `rtspike bench peers`: the table of them, and how to start one.

Each baseline serves the receivers of one rtspike transport (``receiver``), so that a ratio
rtspike / baseline compares the same bytes to the same clients. Node baselines run only when
``node`` is on PATH and the web package's lockfile has been installed (``npm ci`` in
transports/web, which ``scripts/build-web.sh`` does).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE.parents[1] / "transports" / "web" / "node_modules"


@dataclass(frozen=True)
class Peer:
    name: str
    receiver: str
    label: str
    argv: tuple[str, ...]
    node: bool = False
    stock: bool = False
    """The obvious path of the library rtspike's transport is built on (what a team gets)."""

    def command(self, port: int) -> list[str]:
        if self.node:
            node = shutil.which("node") or "node"
            return [node, str(HERE / "node" / self.argv[0]), str(port)]
        return [sys.executable, "-m", *self.argv, str(port)]


_PY = "rtspike.scenarios.peers.aiohttp_peers"
PEERS: tuple[Peer, ...] = (
    Peer(
        "aiohttp-send-str",
        "ws",
        "aiohttp `await ws.send_str` loop",
        (_PY, "ws-send-str"),
        stock=True,
    ),
    Peer("aiohttp-raw", "ws", "aiohttp frame built once, transport.write", (_PY, "ws-raw")),
    Peer(
        "websockets",
        "ws",
        "websockets.broadcast",
        ("rtspike.scenarios.peers.websockets_peer",),
    ),
    Peer("node-ws", "ws", "Node ws, client.send per member", ("ws_peer.cjs",), node=True),
    Peer(
        "aiohttp-sse",
        "sse",
        "aiohttp StreamResponse.write loop",
        (_PY, "sse-write"),
        stock=True,
    ),
    Peer(
        "python-socketio",
        "socketio",
        "stock python-socketio emit(to=room)",
        (_PY, "socketio-stock"),
        stock=True,
    ),
    Peer(
        "node-socketio",
        "socketio",
        "Node socket.io io.to(room).emit",
        ("socketio_peer.cjs",),
        node=True,
    ),
)


def node_ready() -> bool:
    return shutil.which("node") is not None and all(
        (NODE_MODULES / pkg / "package.json").exists() for pkg in ("ws", "socket.io")
    )


def available(names: list[str] | None = None) -> list[Peer]:
    """The baselines this machine can run (Node ones need node and the installed lockfile)."""
    ok = node_ready()
    return [p for p in PEERS if (names is None or p.name in names) and (ok or not p.node)]


def by_name(name: str) -> Peer:
    return next(p for p in PEERS if p.name == name)

"""Socket.IO transport: python-socketio ``AsyncServer`` on the shared aiohttp app
(``server.mount``) and a ``socketio.AsyncClient`` client (``client.Client``).

Wire: ``/socket.io/``, ``auth: {token, cursor}``, ``message:send`` with ack
``{ok, message | error}``, pushes ``message:new``, ``error`` ``{error, close_code}`` before a
server-initiated disconnect.
"""

from __future__ import annotations

from rtspike.transports.spec import (
    Baseline,
    Capabilities,
    Infra,
    NativeClient,
    TransportSpec,
    Upstream,
)

__all__ = ["SPEC"]

SPEC = TransportSpec(
    name="socketio",
    label="Socket.IO",
    paths=("/socket.io/",),
    mount="rtspike.transports.socketio.server:mount",
    client="rtspike.transports.socketio.client:Client",
    upstream=Upstream.SOCKET,
    lean_receiver="rtspike.transports.socketio.lean:LeanSocketIO",
    lean_kind="lean aiohttp Engine.IO v4 / Socket.IO v5 client (websocket transport only)",
    locust_user="rtspike.transports.socketio.locust_user:SioUser",
    locust_client="python-socketio sync Client (websocket transport, websocket-client)",
    browser_client="web/client.js",
    browser_entry="web/page.js",
    react_entry="web/react.jsx",
    browser_probe="web/probe.js",
    native_clients=(
        NativeClient(
            "default", "socket.io-client, reconnection on, default transports (polling, upgrade)"
        ),
        NativeClient("websocket", "socket.io-client, reconnection on, transports: ['websocket']"),
    ),
    infra=Infra(
        # socket.io docs, "Behind a reverse proxy" (nginx). python-socketio's same-origin check
        # compares Origin with the Host it sees: $http_host (the docs' $host drops the port)
        # and, behind TLS, X-Forwarded-Proto
        nginx_location=(
            "proxy_http_version 1.1;",
            "proxy_set_header Upgrade $http_upgrade;",
            'proxy_set_header Connection "upgrade";',
            "proxy_set_header Host $http_host;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
        ),
        origin_client="default",
    ),
    baselines=(
        Baseline(
            "python-socketio",
            "stock python-socketio emit(to=room)",
            "baselines/python_socketio.py",
            ("stock",),
            stock=True,
        ),
        Baseline(
            "node-socketio",
            "Node socket.io io.to(room).emit",
            "baselines/node_socketio.cjs",
        ),
    ),
    capabilities=Capabilities(
        unidirectional=False,
        binary=True,
        sticky_with_polling=True,
        app_level_ping=True,
        browser_native=False,
    ),
    library_loggers=("socketio", "engineio"),
)

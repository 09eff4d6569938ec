"""Raw WebSocket transport: aiohttp server (``server.mount``) and a ``websockets`` client."""

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
    name="ws",
    label="WebSocket",
    paths=("/realtime/ws",),
    mount="rtspike.transports.ws.server:mount",
    client="rtspike.transports.ws.client:Client",
    upstream=Upstream.SOCKET,
    lean_receiver="rtspike.transports.ws.lean:LeanWs",
    lean_kind="lean aiohttp WebSocket client (auth frame + JSON frames)",
    locust_user="rtspike.transports.ws.locust_user:WsUser",
    locust_client="websocket-client",
    browser_client="web/client.js",
    browser_entry="web/page.js",
    react_entry="web/react.jsx",
    browser_probe="web/probe.js",
    native_clients=(
        NativeClient("plain", "native WebSocket, auth frame on open, no reconnect"),
        NativeClient("reconnecting", "reconnecting-websocket defaults, auth frame on every open"),
    ),
    infra=Infra(
        # nginx docs, "WebSocket proxying"
        nginx_location=(
            "proxy_http_version 1.1;",
            "proxy_set_header Upgrade $http_upgrade;",
            'proxy_set_header Connection "upgrade";',
            "proxy_read_timeout 1h;",
        ),
        origin_client="plain",
    ),
    baselines=(
        Baseline(
            "aiohttp-send-str",
            "aiohttp `await ws.send_str` loop",
            "baselines/aiohttp_loops.py",
            ("send-str",),
            stock=True,
        ),
        Baseline(
            "aiohttp-raw",
            "aiohttp frame built once, transport.write",
            "baselines/aiohttp_loops.py",
            ("raw",),
        ),
        Baseline("websockets", "websockets.broadcast", "baselines/websockets_broadcast.py"),
        Baseline("node-ws", "Node ws, client.send per member", "baselines/node_ws.cjs"),
    ),
    capabilities=Capabilities(
        unidirectional=False,
        binary=True,
        sticky_with_polling=False,
        app_level_ping=False,
        browser_native=True,
    ),
)

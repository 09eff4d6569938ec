"""Raw WebSocket transport: aiohttp server (``server.mount``) and a ``websockets`` client."""

from __future__ import annotations

from rtspike.transports.spec import Capabilities, TransportSpec, Upstream

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
    browser_entry="ws.js",
    react_entry="react-ws.jsx",
    capabilities=Capabilities(
        unidirectional=False,
        binary=True,
        sticky_with_polling=False,
        app_level_ping=False,
        browser_native=True,
    ),
)

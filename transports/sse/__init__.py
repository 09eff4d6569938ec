"""Server-Sent Events: a one-way stream down (``GET /realtime/sse``), sends go up over REST."""

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
    name="sse",
    label="Server-Sent Events",
    paths=("/realtime/sse",),
    mount="rtspike.transports.sse.server:mount",
    client="rtspike.transports.sse.client:Client",
    upstream=Upstream.REST,
    lean_receiver="rtspike.transports.sse.lean:LeanSse",
    lean_kind="lean aiohttp streaming client (Authorization: Bearer, text/event-stream parser)",
    locust_user="rtspike.transports.sse.locust_user:SseUser",
    locust_client="requests (streamed GET) + requests.Session POST upstream",
    browser_client="web/client.js",
    browser_entry="web/page.js",
    react_entry="web/react.jsx",
    browser_probe="web/probe.js",
    native_clients=(
        NativeClient("ticket", "native EventSource, one-time ticket in the URL, server retry:"),
        NativeClient("cookie", "native EventSource, HttpOnly cookie credential, server retry:"),
    ),
    infra=Infra(
        # nginx docs (proxy_buffering) + the usual SSE recipe
        nginx_location=(
            "proxy_http_version 1.1;",
            'proxy_set_header Connection "";',
            "proxy_buffering off;",
            "proxy_cache off;",
            "proxy_read_timeout 1h;",
        ),
        origin_client="cookie",  # spares each EventSource a ticket fetch
        proxy_buffers_stream=True,
    ),
    baselines=(
        Baseline(
            "aiohttp-sse",
            "aiohttp StreamResponse.write loop",
            "baselines/aiohttp_write.py",
            ("write",),
            stock=True,
        ),
    ),
    capabilities=Capabilities(
        unidirectional=True,
        binary=False,
        sticky_with_polling=False,
        app_level_ping=True,
        browser_native=True,
    ),
)

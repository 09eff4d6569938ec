"""The proxy scenario's REST sender survives a kept-alive socket closed under a request."""

from __future__ import annotations

from aiohttp import web

from rtspike.scenarios.cases.proxy import Sender
from rtspike.scenarios.processes import free_port


async def test_a_send_whose_socket_is_closed_under_it_is_retried_once() -> None:
    posts: list[str] = []

    async def login(_: web.Request) -> web.Response:
        return web.json_response({"access_token": "t", "refresh_token": "r"})

    async def send(request: web.Request) -> web.Response:
        posts.append((await request.json())["client_msg_id"])
        if len(posts) == 1:
            assert request.transport is not None
            request.transport.close()  # the server's keep-alive timeout, mid-request
        return web.json_response({"message": {}}, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/auth/login", login)
    app.router.add_post("/api/v1/messages", send)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        sender = Sender(f"http://127.0.0.1:{port}", "t")
        await sender.send(1, 0)
    finally:
        await runner.cleanup()
    assert posts == ["t.1", "t.1"], "the same client_msg_id, sent again"
    assert list(sender.sent) == ["t.1"]

"""The React 18 hook ``useRealtimeConnection`` in real headless Chromium, per transport: the
React demo page connects, a message arrives live, the realtime routes are blocked (dev faults)
and the hook's state goes degraded while polling still delivers, then back to live, with every
message exactly once and in order."""

from __future__ import annotations

from typing import Any

import pytest

from rtspike.transports import registry
from tests.web.conftest import LOOP, DemoServer
from tests.web.pages import ENUM, FAST, SUP, message_item, open_page, send_from_page, wait_state

pytestmark = [pytest.mark.browser, LOOP]

LIVE_VIA = {"ws": "Sent via WebSocket.", "socketio": "Sent via Socket.IO.", "sse": "Sent via REST."}


async def open_react(browser: Any, server: DemoServer, transport: str) -> tuple[Any, list[str]]:
    url = f"{server.url}/demo/react?transport={transport}&login={ENUM}&{FAST}"
    return await open_page(browser, url, {"width": 1000, "height": 700}, "#chat-panel")


async def source_of(page: Any, body: str) -> str:
    return str(await (await message_item(page, body)).get_attribute("data-source"))


async def send(page: Any, to: str, body: str) -> str:
    return await send_from_page(page, to, body, pick=False)


@pytest.mark.parametrize("transport", registry.names())
async def test_hook_connects_degrades_and_recovers(
    browser: Any, demo_server: DemoServer, transport: str
) -> None:
    server = demo_server
    sup_token = await server.token(SUP)
    sup_id = server.user_id(SUP)
    page, errors = await open_react(browser, server, transport)

    await wait_state(page, "connected")
    assert "Live" in await page.inner_text("#status")
    await server.send(sup_token, "react hello (live)")
    assert await source_of(page, "react hello (live)") == "live"
    assert await send(page, sup_id, "react reply (live)") == LIVE_VIA[transport]

    await server.block(True)
    await wait_state(page, "degraded")
    assert "polling over REST" in await page.inner_text("#status-detail")
    await server.send(sup_token, "react while blocked")
    assert await source_of(page, "react while blocked") == "poll"
    assert await send(page, sup_id, "react reply (degraded)") == "Sent via REST."

    await server.block(False)
    await wait_state(page, "connected")
    await server.send(sup_token, "react back live")
    assert await source_of(page, "react back live") == "live"

    bodies = await page.eval_on_selector_all(
        "#messages li", "els => els.map(e => e.querySelector('.body').textContent)"
    )
    assert bodies == [
        "react hello (live)",
        "react reply (live)",
        "react while blocked",
        "react reply (degraded)",
        "react back live",
    ]
    sup_saw = await server.bodies_seen_by(sup_token)
    assert sup_saw.count("react reply (live)") == sup_saw.count("react reply (degraded)") == 1
    assert errors == []
    await page.close()


async def test_react_baseline_page_has_no_realtime(browser: Any, demo_server: DemoServer) -> None:
    page, errors = await open_react(browser, demo_server, "rest")
    await wait_state(page, "disconnected")
    assert "no realtime transport" in await page.inner_text("#status-detail")
    assert await send(page, demo_server.user_id(SUP), "baseline send") == "Sent via REST."
    assert errors == []
    await page.close()

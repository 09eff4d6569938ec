"""The demo page in real headless Chromium, per transport: live delivery, degraded polling while
the realtime routes are blocked, and the way back to live, with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports import registry
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.spec import Upstream
from tests.conftest import DEV_TOKEN
from tests.web.conftest import LOOP, DemoServer
from tests.web.pages import (
    ENUM,
    FAST,
    SUP,
    WAIT_MS,
    message_item,
    open_page,
    send_from_page,
    wait_state,
)

pytestmark = [pytest.mark.browser, LOOP]


def sent_live(transport: str) -> str:
    """What the page says after a live send: the transport's label, or REST as its upstream."""
    spec = registry.spec(transport)
    if spec.upstream is Upstream.REST:
        return f"Sent via REST (the {spec.label} upstream)."
    return f"Sent via {spec.label}."


async def open_demo(
    browser: Any, server: DemoServer, transport: str, login: str = ENUM, query: str = ""
) -> tuple[Any, list[str]]:
    url = f"{server.url}/demo?transport={transport}&{FAST}{query}"
    return await open_page(
        browser, url, {"width": 1200, "height": 820}, "#chat-panel:not([hidden])", login
    )


@pytest.mark.parametrize("transport", registry.names())
async def test_live_then_degraded_then_live(
    browser: Any, demo_server: DemoServer, transport: str, tmp_path: Path
) -> None:
    server = demo_server
    sup_token = await server.token(SUP)
    sup_id = server.user_id(SUP)
    page, errors = await open_demo(browser, server, transport)

    await wait_state(page, "connected")
    assert "Live" in await page.inner_text("#status")
    await server.send(sup_token, "hello team (live)")
    item = await message_item(page, "hello team (live)")
    assert await item.get_attribute("data-source") == "live"
    assert "Supervisor" in await item.inner_text()
    via = await send_from_page(page, sup_id, "enum reply (live)")
    assert via == sent_live(transport)
    await page.screenshot(path=tmp_path / f"{transport}-connected.png", full_page=True)

    await server.block(True)
    await wait_state(page, "degraded")
    countdown = re.compile(r"polling over REST, next poll in \d+(\.\d)? s")
    await page.locator("#status-detail").filter(has_text=countdown).wait_for()
    await server.send(sup_token, "while blocked 1")
    await server.send(sup_token, "while blocked 2")
    for body in ("while blocked 1", "while blocked 2"):
        item = await message_item(page, body)
        assert await item.get_attribute("data-source") == "poll"
    assert await send_from_page(page, sup_id, "enum reply (degraded)") == "Sent via REST."
    await page.screenshot(path=tmp_path / f"{transport}-degraded.png", full_page=True)
    assert await page.get_attribute("#status", "data-state") == "degraded"

    await server.block(False)
    await wait_state(page, "connected")
    await server.send(sup_token, "back live")
    item = await message_item(page, "back live")
    assert await item.get_attribute("data-source") == "live"
    await page.screenshot(path=tmp_path / f"{transport}-reconnected.png", full_page=True)

    received = await page.eval_on_selector_all(
        "#messages li", "els => els.map(e => [e.dataset.id, e.querySelector('.body').textContent])"
    )
    ids = [i for i, _ in received]
    assert len(ids) == len(set(ids))
    assert [b for _, b in received] == [
        "hello team (live)",
        "enum reply (live)",
        "while blocked 1",
        "while blocked 2",
        "enum reply (degraded)",
        "back live",
    ]
    states = await page.evaluate("window.rtspikeClient.transitions.map(t => t.state)")
    assert states[:2] == ["connecting", "connected"]
    assert "degraded" in states and states[-1] == "connected"
    js_cursor = Cursor.decode(await page.evaluate("window.rtspikeClient.cursor.encode()"))
    resp = await server.http.get(
        f"{server.url}/api/v1/messages",
        params={"limit": "1000"},
        headers={"Authorization": f"Bearer {await server.token(ENUM)}"},
    )
    rest_cursor = Cursor.decode(resp.json()["cursor"])
    assert js_cursor.epoch == rest_cursor.epoch
    assert js_cursor.positions == {s: q for s, q in rest_cursor.positions.items() if q}
    sup_saw = await server.bodies_seen_by(sup_token)
    assert sup_saw.count("enum reply (live)") == 1
    assert sup_saw.count("enum reply (degraded)") == 1
    assert errors == []
    await page.close()


async def test_outage_switch_blocks_and_unblocks(
    browser: Any, demo_server: DemoServer, tmp_path: Path
) -> None:
    page, errors = await open_demo(browser, demo_server, "ws", query=f"&dev_token={DEV_TOKEN}")
    await wait_state(page, "connected")
    switch = page.locator("#outage")
    await switch.wait_for()
    await switch.check()
    await wait_state(page, "degraded")
    resp = await demo_server.http.get(f"{demo_server.url}/api/v1/dev/faults")
    assert resp.json()["realtime_blocked"] is True
    await page.screenshot(path=tmp_path / "ws-outage-switch.png", full_page=True)
    await switch.uncheck()
    await wait_state(page, "connected")
    assert errors == []
    await page.close()


async def test_baseline_bundle_polls_only(
    browser: Any, demo_server: DemoServer, tmp_path: Path
) -> None:
    page, errors = await open_demo(browser, demo_server, "rest")
    await wait_state(page, "degraded")
    await demo_server.send(await demo_server.token(SUP), "to the polling page")
    item = await message_item(page, "to the polling page")
    assert await item.get_attribute("data-source") == "poll"
    assert "no realtime transport" in await page.inner_text("#status-detail")
    await page.screenshot(path=tmp_path / "baseline-degraded.png", full_page=True)
    assert errors == []
    await page.close()


async def test_dropped_live_push_is_repaired_in_order(
    browser: Any, demo_server: DemoServer, tmp_path: Path
) -> None:
    """A push lost between server and page (dropped by a WebSocket route) shows up as a seq
    jump on the next push; the page fetches the gap over REST and shows both in order."""
    dropped: list[str] = []

    async def drop_victim(route: Any) -> None:
        server = route.connect_to_server()

        def down(message: str | bytes) -> None:
            if isinstance(message, str) and '"body":"gap victim"' in message:
                dropped.append(message)
                return
            route.send(message)

        server.on_message(down)
        route.on_message(server.send)

    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.route_web_socket(re.compile(r".*/realtime/ws$"), drop_victim)
    await page.goto(f"{demo_server.url}/demo?transport=ws&{FAST}")
    await page.fill("#login", ENUM)
    await page.click("#login-btn")
    await wait_state(page, "connected")
    sup_token = await demo_server.token(SUP)
    await demo_server.send(sup_token, "before")
    await message_item(page, "before")
    await demo_server.send(sup_token, "gap victim")
    await demo_server.send(sup_token, "after gap")
    await message_item(page, "after gap")
    assert len(dropped) == 1
    received = await page.eval_on_selector_all(
        "#messages li",
        "els => els.map(e => [e.querySelector('.body').textContent, e.dataset.source])",
    )
    # The repair reads everything after the cursor, so it may bring the jumped event too.
    assert received[:2] == [["before", "live"], ["gap victim", "gap"]]
    assert received[2][0] == "after gap" and len(received) == 3
    await page.screenshot(path=tmp_path / "ws-gap-repaired.png", full_page=True)
    await page.close()


@pytest.mark.parametrize("transport", registry.names())
async def test_expired_token_refreshes_and_loses_nothing(
    browser: Any, short_token_server: DemoServer, transport: str
) -> None:
    server = short_token_server
    page, errors = await open_demo(browser, server, transport)
    await wait_state(page, "connected")
    bodies = []
    for n in range(5):
        body = f"tick {n}"
        bodies.append(body)
        await server.send(await server.token(SUP), body)
        await asyncio.sleep(0.5)
    await message_item(page, "tick 4")
    shown = await page.eval_on_selector_all(
        "#messages li .body", "els => els.map(e => e.textContent)"
    )
    assert shown == bodies
    await wait_state(page, "connected")
    transitions = await page.evaluate(
        "window.rtspikeClient.transitions.map(t => [t.state, t.info.lastError, t.info.message])"
    )
    assert ["connecting", "CLOSE_4001"] in [t[:2] for t in transitions], transitions
    assert "disconnected" not in [t[0] for t in transitions]
    assert errors == []
    await page.close()


async def test_supervisor_replies_directly_and_broadcasts(
    browser: Any, demo_server: DemoServer, tmp_path: Path
) -> None:
    server = demo_server
    enum_token = await server.token(ENUM)
    page, errors = await open_demo(browser, server, "socketio", login=SUP)
    await wait_state(page, "connected")
    await server.send(enum_token, "question from the field", to=server.user_id(SUP))
    item = await message_item(page, "question from the field")
    await item.get_by_role("button", name=re.compile("^Reply")).click()
    assert await page.input_value("#recipient") == server.user_id(ENUM)
    await page.fill("#body", "direct answer")
    await page.click("#send-btn")
    await page.locator("#send-result", has_text="Sent via Socket.IO.").wait_for()
    await page.check('input[name="target"][value="broadcast"]')
    assert await page.is_hidden("#recipient")
    await page.fill("#body", "note for everyone")
    await page.click("#send-btn")
    await message_item(page, "note for everyone")
    await page.screenshot(path=tmp_path / "socketio-supervisor.png", full_page=True)
    assert await server.bodies_seen_by(enum_token) == ["direct answer", "note for everyone"]
    assert errors == []
    await page.close()


async def test_polling_follows_the_schedule_up_to_its_ceiling(
    browser: Any, demo_server: DemoServer
) -> None:
    """The REST-only page is degraded from the start: polls 0.2 s, 0.4 s, then every 0.8 s."""
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto(f"{demo_server.url}/demo?transport=rest&poll=0.2,0.4,0.8")
    await page.fill("#login", ENUM)
    await page.click("#login-btn")
    await wait_state(page, "degraded")
    await page.wait_for_function("window.rtspikeClient.pollTimes.length >= 6")
    times = await page.evaluate("window.rtspikeClient.pollTimes")
    gaps = [(b - a) / 1000 for a, b in itertools.pairwise(times)][:5]
    for got, want in zip(gaps, [0.2, 0.4, 0.8, 0.8, 0.8], strict=True):
        assert want - 0.02 <= got <= want + 0.3, gaps
    await page.close()

"""Demo friction a new user met: recipients picked from the team by name (no raw ids), senders
shown by name and role, Sign out only when signed in, a banner that stays in view, and no send
form for a role the server would refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import LOOP, DemoServer

pytestmark = [pytest.mark.browser, LOOP, pytest.mark.timeout(120)]
SUP, ENUM = "sup.lga-01", "enum.lga-01.001"


async def sign_in(browser: Any, server: DemoServer, login: str) -> Any:
    page = await browser.new_page(viewport={"width": 1000, "height": 500})
    page.set_default_timeout(15_000)
    await page.goto(f"{server.url}/demo?transport=ws")
    assert await page.is_hidden("#logout"), "Sign out shows while signed out"
    await page.fill("#login", login)
    await page.click("#login-btn")
    await page.wait_for_selector("#chat-panel:not([hidden])")
    return page


async def test_supervisor_picks_a_recipient_by_name_and_sees_the_sender_named(
    browser: Any, demo_server: DemoServer
) -> None:
    page = await sign_in(browser, demo_server, SUP)
    assert await page.is_visible("#logout")
    labels = await page.locator("#recipient option").all_inner_texts()
    assert labels[:2] == ["Enumerator 1 lga-01 (enumerator)", "Enumerator 2 lga-01 (enumerator)"]
    assert all(label.endswith("lga-01 (enumerator)") for label in labels)
    await page.check('input[name="target"][value="direct"]')
    await page.select_option("#recipient", label="Enumerator 2 lga-01 (enumerator)")
    await page.fill("#body", "picked by name")
    await page.click("#send-btn")
    await page.locator("#send-result", has_text="Sent via").wait_for()
    enum2 = await demo_server.token("enum.lga-01.002")
    assert await demo_server.bodies_seen_by(enum2) == ["picked by name"]
    await demo_server.send(
        await demo_server.token(ENUM), "from the field", to=demo_server.user_id(SUP)
    )
    item = page.locator("#messages li", has_text="from the field")
    await item.locator(".who", has_text="Enumerator 1 lga-01 (enumerator)").wait_for()
    await page.click("#logout")
    await page.wait_for_selector("#login-panel:not([hidden])")
    assert await page.is_hidden("#logout")
    await page.close()


async def test_banner_stays_in_view_when_the_page_scrolls(
    browser: Any, demo_server: DemoServer
) -> None:
    page = await sign_in(browser, demo_server, ENUM)
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await page.wait_for_function("window.scrollY > 0")
    top = await page.evaluate("document.getElementById('status').getBoundingClientRect().top")
    assert top == 0
    await page.close()


async def test_a_refused_role_sees_no_send_form(browser: Any, demo_server: DemoServer) -> None:
    page = await sign_in(browser, demo_server, "public-user.lga-01")
    await page.locator("#send-refused", has_text="may not send").wait_for()
    assert await page.is_hidden("#send-form")
    await page.close()

"""A REST call that hears nothing fails as a network error instead of holding the client: the
phone that lost its network without a FIN (a blackhole: sockets open, nothing flows)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rtspike.scenarios import browser as chromium
from rtspike.scenarios.faultproxy import FaultProxy, Mode
from rtspike.transports import registry
from rtspike.transports.core.users import DEV_PASSWORD
from tests.web.conftest import LOOP, DemoServer
from tests.web.pages import ENUM

pytestmark = [pytest.mark.browser, LOOP]

START = """async ([t, login, pw, ms]) => {
  try {
    await window.startOurs(t, login, pw, { requestTimeoutMs: ms });
    return "signed in";
  } catch (err) {
    return `${err.name}: ${err.message}`;
  }
}"""


async def test_a_blackholed_login_fails_after_the_request_timeout_then_works(
    demo_server: DemoServer, browser: Any
) -> None:
    proxy = FaultProxy(demo_server.server.port)
    await proxy.start()
    try:
        page = await chromium.probe_page(browser, proxy.url)
        args = [registry.names()[0], ENUM, DEV_PASSWORD, 500]
        proxy.set_mode(Mode.BLACKHOLE)
        # bounded here too: without the client's own deadline this evaluate never returns
        outcome = await asyncio.wait_for(page.evaluate(START, args), 30)
        assert outcome.endswith("request timed out after 500 ms"), outcome
        proxy.set_mode(Mode.PASS)
        assert await asyncio.wait_for(page.evaluate(START, args), 30) == "signed in"
        await page.context.close()
    finally:
        await proxy.stop()

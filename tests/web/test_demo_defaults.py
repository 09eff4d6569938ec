"""The demo at the README's bare URL (no ?poll=, no ?backoff=) during an outage: the documented
5/10/30/60 s schedule and the real backoff, not a poll storm (it once made 24 polls and 24
probes in 0.33 s because a missing parameter read as 0)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any
from urllib.parse import urlsplit

import pytest

from rtspike.transports import registry
from tests.web.conftest import LOOP, DemoServer

pytestmark = [pytest.mark.browser, LOOP, pytest.mark.timeout(120)]

ENUM = "enum.lga-01.001"
SCHEDULE = [5, 10, 30, 60]
# One poll, then one probe of the transport (its connect attempt plus, for some, a probe GET),
# and nothing else until the next poll is due.
MAX_REALTIME_REQUESTS_PER_POLL = 4


def is_poll(url: str) -> bool:
    return urlsplit(url).path == "/api/v1/messages"


def is_realtime(url: str) -> bool:
    path = urlsplit(url).path
    return not path.startswith(("/api/", "/demo")) and path != "/favicon.ico"


async def bare_url_polls_on_the_documented_schedule(
    browser: Any, demo_server: DemoServer, transport: str
) -> None:
    page = await browser.new_page()
    page.set_default_timeout(20_000)
    log: list[str] = []  # the kind of every request, in order

    def on_request(request: Any) -> None:
        if is_poll(request.url) and request.method == "GET":
            log.append("poll")
        elif is_realtime(request.url):
            log.append("realtime")

    page.on("request", on_request)
    page.on("websocket", lambda ws: log.append("realtime"))
    await page.goto(f"{demo_server.url}/demo?transport={transport}")  # the README's URL
    await page.fill("#login", ENUM)
    await page.click("#login-btn")
    # every transport's page at once on a loaded 2-core box: allow the first failed connects
    await page.wait_for_selector('#status[data-state="degraded"]', timeout=60_000)
    client = await page.evaluate(
        "({schedule: window.rtspikeClient.pollSchedule, base: window.rtspikeClient.backoffBase,"
        " cap: window.rtspikeClient.backoffCap, scale: window.rtspikeClient.timeScale})"
    )
    assert client == {"schedule": SCHEDULE, "base": 0.5, "cap": 15, "scale": 1}, transport
    # The positive barrier: the second poll, due 5 s after the first.
    await page.wait_for_function(
        "window.rtspikeClient && window.rtspikeClient.pollTimes.length >= 2", timeout=30_000
    )
    first, second = (await page.evaluate("window.rtspikeClient.pollTimes"))[:2]
    assert 4.5 <= (second - first) / 1000 <= 5 * 10, f"{transport}: the first poll must wait ~5 s"
    # Requests up to and including the second poll: two polls and two probes' worth, not 24.
    upto = log[: [i for i, kind in enumerate(log) if kind == "poll"][1] + 1]
    polls, realtime = upto.count("poll"), upto.count("realtime")
    assert polls == 2, (transport, log)
    assert 1 <= realtime <= 2 * MAX_REALTIME_REQUESTS_PER_POLL, (transport, log)
    await page.locator("#status", has_text="next poll in ").wait_for()  # not "next poll now"
    await page.close()


async def test_bare_readme_url_polls_on_the_documented_schedule(
    browser: Any, demo_server: DemoServer
) -> None:
    """Every transport's page at once (each mostly waits out the 5 s first gap), one server
    with its realtime routes blocked for all of them."""
    await demo_server.block(True)
    await asyncio.gather(
        *(
            bare_url_polls_on_the_documented_schedule(browser, demo_server, t)
            for t in registry.names()
        )
    )
    await demo_server.block(False)


async def test_the_default_schedule_steps_5_10_30_then_holds(
    browser: Any, demo_server: DemoServer
) -> None:
    """The same defaults on a 1/20 clock (``time_scale`` scales every delay, not the list):
    poll gaps 0.25, 0.5, 1.5, 3, 3 s, each followed by one probe of the transport."""
    page = await browser.new_page()
    page.set_default_timeout(30_000)
    await demo_server.block(True)
    await page.goto(f"{demo_server.url}/demo?transport=ws&time_scale=0.05")
    await page.fill("#login", ENUM)
    await page.click("#login-btn")
    await page.wait_for_function(
        "window.rtspikeClient && window.rtspikeClient.pollTimes.length >= 6", timeout=60_000
    )
    times = await page.evaluate("window.rtspikeClient.pollTimes")
    gaps = [(b - a) / 1000 for a, b in itertools.pairwise(times)][:5]
    for got, want in zip(gaps, [0.25, 0.5, 1.5, 3.0, 3.0], strict=True):
        assert want * 0.9 <= got <= want + 2.0, gaps
    await demo_server.block(False)
    await page.close()

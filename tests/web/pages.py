"""Driving the demo pages in Chromium: open one signed in, wait for a client state, find a
message, send from the form. Shared by the demo page and React hook tests."""

from __future__ import annotations

import re
from typing import Any

ENUM = "enum.lga-01.001"
SUP = "sup.lga-01"
FAST = "poll=0.2,0.4,1,2&backoff=0.05,0.5"
WAIT_MS = 10_000


async def open_page(
    browser: Any, url: str, viewport: dict[str, int], ready: str, login: str | None = None
) -> tuple[Any, list[str]]:
    """A new page on ``url`` signed in (typing ``login`` first, when given) and showing
    ``ready``; the list collects every uncaught page error."""
    page = await browser.new_page(viewport=viewport)
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    if login is not None:
        await page.fill("#login", login)
    await page.click("#login-btn")
    await page.wait_for_selector(ready)
    return page, errors


async def wait_state(page: Any, state: str) -> None:
    await page.wait_for_selector(f'#status[data-state="{state}"]')


async def message_item(page: Any, body: str) -> Any:
    item = page.locator("#messages li", has_text=body)
    await item.wait_for()
    return item


async def send_from_page(page: Any, to: str, body: str, pick: bool = True) -> str:
    """Send ``body`` to ``to`` from the form (``pick``: a recipient list, else a text field);
    what the page says it was sent through."""
    if pick:
        await page.select_option("#recipient", to)
    else:
        await page.fill("#recipient", to)
    await page.fill("#body", body)
    await page.click("#send-btn")
    result = page.locator("#send-result")
    await result.filter(has_text=re.compile("^Sent via")).wait_for()
    return str(await result.inner_text())

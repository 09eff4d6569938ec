"""Headless Chromium for the scenarios that measure what a browser does (native clients, the
per-origin connection limit): Debian's /usr/bin/chromium through Playwright's executable_path,
never a downloaded browser build. When either is missing the scenario records "not measured"
with what to install, and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROBE_JS = "/demo/static/probe.js"
LOAD_ATTEMPTS = 3
CLOSE_S = 10.0


def executable() -> str:
    return str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))


def missing() -> str | None:
    """Why the browser cannot be had here, as the "not measured" note; None when it can."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "not measured: install chromium (apt-get install chromium; make system-deps)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "not measured: install playwright (pip install -e '.[dev]')"
    from rtspike.transports.server.demo import DIST

    if not (DIST / "probe.js").is_file():
        return "not measured: build the web bundles (make web)"
    return None


@asynccontextmanager
async def chromium(extra_args: list[str] | None = None) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    path = executable()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, args=ARGS + (extra_args or []))
        try:
            yield browser
        finally:
            await browser.close()


async def probe_page(browser: Any, origin: str, **context_options: Any) -> Any:
    """A page of its own browser context (own cookies, own connection pool) on ``origin`` with
    the probe bundle loaded."""
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    for attempt in range(LOAD_ATTEMPTS):
        try:
            await page.goto(f"{origin}/api/v1/healthz")
            await page.add_script_tag(url=f"{origin}{PROBE_JS}")
            return page
        except Exception:
            # a server that was just restarted (the previous repeat's fault) may drop the
            # first request: try again, and fail for real only after the last attempt
            if attempt == LOAD_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


async def close_page(page: Any) -> None:
    """Closes the page's own browser context; one that does not answer within ``CLOSE_S`` is
    left to the browser's close, so that clean-up never holds a run."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(page.context.close(), CLOSE_S)

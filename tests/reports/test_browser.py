"""The report in real headless Chromium: no console errors, a full-page screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


async def test_report_opens_without_console_errors(
    browser: Any, rendered: dict[str, Path], tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await page.goto(rendered["a"].as_uri())
    rec = await page.locator("section#summary .rec").inner_text()
    assert rec.startswith("Too close to call: socketio and sse")
    assert await page.locator("svg.chart").count() >= 15
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1200, "nothing overflows the viewport horizontally"
    shot = tmp_path / "report.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []

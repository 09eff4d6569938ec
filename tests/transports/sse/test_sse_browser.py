"""The SSE transport from a real browser: Chromium's native EventSource, tickets from fetch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.sse import server as sse_server
from tests.contract.conftest import Harness, contract_settings, start_node
from tests.transports.sse.rest import broadcast

pytestmark = pytest.mark.browser

SUP1, EN1 = "sup.lga-01", "enum.lga-01.001"

# What a browser client does: a ticket per (re)connect (a JWT never goes in a URL), and on a
# server-ended stream a new EventSource resuming from the last id it saw. EventSource's own
# reconnect would reuse the spent ticket in its URL, so the page closes it first.
SETUP_JS = """
(token) => {
  window.got = []; window.ends = []; window.opens = 0;
  window.ticket = async () => {
    const r = await fetch('/api/v1/realtime/ticket',
                          {method: 'POST', headers: {Authorization: 'Bearer ' + token}});
    return (await r.json()).ticket;
  };
  window.open_stream = (ticket, cursor) => new Promise((resolve, reject) => {
    let url = '/realtime/sse?ticket=' + encodeURIComponent(ticket);
    if (cursor) url += '&cursor=' + encodeURIComponent(cursor);
    const es = new EventSource(url);
    window.es = es;
    es.onopen = () => { window.opens += 1; resolve(true); };
    es.addEventListener('message', (e) => {
      window.got.push({id: e.lastEventId, body: JSON.parse(e.data).body});
    });
    es.addEventListener('error', (e) => {
      if (e.data) { window.ends.push(JSON.parse(e.data)); es.close(); return; }
      if (es.readyState === EventSource.CLOSED) reject(new Error('refused'));
    });
  });
}
"""

SECOND_USE_JS = """
(ticket) => new Promise((resolve) => {
  const es = new EventSource('/realtime/sse?ticket=' + encodeURIComponent(ticket));
  es.onopen = () => { es.close(); resolve('opened'); };
  es.onerror = () => { const state = es.readyState; es.close(); resolve(state); };
})
"""

FETCH_JS = """
async (ticket) => {
  const r = await fetch('/realtime/sse?ticket=' + encodeURIComponent(ticket));
  return {status: r.status, body: await r.json()};
}
"""


@pytest.fixture
async def h(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setenv("RTSPIKE_SSE_RETRY_MS", "200")
    node = await start_node(contract_settings(tmp_path), "sse")
    harness = Harness("sse", [node])
    yield harness
    await harness.aclose()
    await node.server.close()


async def test_event_source_with_ticket_receives_and_resumes_after_server_close(
    h: Harness, browser: Any
) -> None:
    sup = await h.token(SUP1)
    page = await browser.new_page()
    try:
        await page.goto(f"{h.url()}/api/v1/healthz")
        await page.evaluate(SETUP_JS, await h.token(EN1))
        first = await page.evaluate("window.ticket()")
        assert await page.evaluate("(t) => window.open_stream(t)", first) is True

        await broadcast(h, sup, "b1")
        await page.wait_for_function("window.got.length === 1", timeout=5000)

        assert await page.evaluate(SECOND_USE_JS, first) == 2  # EventSource.CLOSED
        spent = await page.evaluate(FETCH_JS, first)
        assert spent["status"] == 401 and spent["body"]["error"]["code"] == "AUTH_REQUIRED"
        assert h.nodes[0].hub.connection_count == 1

        app = h.nodes[0].server.app
        assert app is not None
        for conn in sse_server.connections(app):
            conn.close(AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "server restart"))
        await page.wait_for_function("window.ends.length === 1", timeout=5000)
        assert await page.evaluate("window.ends[0].close_code") == 4012

        await broadcast(h, sup, "b2")
        await broadcast(h, sup, "b3")
        await page.evaluate(
            "async () => window.open_stream(await window.ticket(), window.got.at(-1).id)"
        )
        await broadcast(h, sup, "b4")
        await page.wait_for_function("window.got.length >= 4", timeout=5000)
        await page.wait_for_timeout(300)
        got = await page.evaluate("window.got")
        assert [g["body"] for g in got] == ["b1", "b2", "b3", "b4"]
        assert len({g["id"] for g in got}) == 4
        assert await page.evaluate("window.opens") == 2
    finally:
        await page.close()

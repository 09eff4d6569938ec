"""The raw protocol from a real browser: Chromium's native WebSocket, no library."""

from __future__ import annotations

import pytest

from tests.contract.conftest import Harness, Node

pytestmark = pytest.mark.browser

SUP1, EN1 = "sup.lga-01", "enum.lga-01.001"

OPEN_AND_AUTH = """
async (token) => {
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/realtime/ws");
  window.frames_ = [];
  window.ws_ = ws;
  ws.onmessage = (e) => window.frames_.push(JSON.parse(e.data));
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  ws.send(JSON.stringify({type: "auth", token}));
  while (window.frames_.length === 0) await new Promise((r) => setTimeout(r, 10));
  return window.frames_[0];
}
"""

SEND = """
(message) => window.ws_.send(JSON.stringify({type: "message.send", id: "b1", message}))
"""

BAD_TOKEN = """
() => new Promise((resolve) => {
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/realtime/ws");
  const frames = [];
  ws.onopen = () => ws.send(JSON.stringify({type: "auth", token: "not.a.jwt"}));
  ws.onmessage = (e) => frames.push(JSON.parse(e.data));
  ws.onclose = (e) => resolve({frames, code: e.code, reason: e.reason});
})
"""


async def test_browser_enumerator_receives_and_sends(
    browser: object, harness: Harness, node: Node
) -> None:
    page = await browser.new_page()  # type: ignore[attr-defined]
    try:
        await page.goto(f"{node.url}/api/v1/healthz")
        ready = await page.evaluate(OPEN_AND_AUTH, await harness.token(EN1))
        assert ready["type"] == "ready"
        assert ready["user"] == {
            "id": harness.user_id(EN1),
            "role": "enumerator",
            "lga_id": "lga-01",
        }
        sup = await harness.connect(SUP1)
        await sup.client.send({"broadcast": True, "body": "to the field", "client_msg_id": "b-1"})
        await page.wait_for_function(
            "window.frames_.some((f) => f.type === 'message')", timeout=5000
        )
        pushed = await page.evaluate("window.frames_.filter((f) => f.type === 'message')")
        assert [f["message"]["body"] for f in pushed] == ["to the field"]
        assert pushed[0]["message"]["sender"] == harness.user_id(SUP1)

        await page.evaluate(
            SEND, {"to": harness.user_id(SUP1), "body": "from chromium", "client_msg_id": "b-2"}
        )
        await page.wait_for_function("window.frames_.some((f) => f.type === 'ack')", timeout=5000)
        ack = await page.evaluate("window.frames_.find((f) => f.type === 'ack')")
        assert ack["id"] == "b1" and ack["message"]["body"] == "from chromium"
        got = await sup.wait_for(2)  # its own broadcast, then the enumerator's direct message
        assert got[1].body == "from chromium" and got[1].sender == harness.user_id(EN1)
        assert got[1].recipient == harness.user_id(SUP1)
    finally:
        await page.close()


async def test_browser_sees_error_frame_and_4501_for_a_bad_token(
    browser: object, node: Node
) -> None:
    page = await browser.new_page()  # type: ignore[attr-defined]
    try:
        await page.goto(f"{node.url}/api/v1/healthz")
        result = await page.evaluate(BAD_TOKEN)
    finally:
        await page.close()
    assert result["code"] == 4501
    assert len(result["frames"]) == 1
    assert result["frames"][0]["type"] == "error"
    assert result["frames"][0]["error"]["code"] == "AUTH_REQUIRED"
    assert node.hub.connection_count == 0

"""Sends for the SSE tests: the stream only carries messages out, so they go in over REST."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import Harness


async def broadcast(h: Harness, token: str, body: str) -> dict[str, Any]:
    """POST one team broadcast (``client_msg_id`` derived from ``body``); the stored message."""
    resp = await h.rest(
        "POST",
        "/messages",
        token=token,
        json={"broadcast": True, "body": body, "client_msg_id": f"c-{body}"},
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json()["message"])

"""The resilient client against real in-process servers and the real transport clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from rtspike.transports import registry
from rtspike.transports.clients.base import RealtimeClient
from rtspike.transports.clients.resilient.client import SessionTokens
from rtspike.transports.core.envelope import MessageEvent
from rtspike.transports.core.users import DEV_PASSWORD
from tests.conftest import DEV_HEADERS
from tests.contract.conftest import Node
from tests.resilient.conftest import (
    ENUM,
    SUP,
    Inbox,
    message,
    resilient,
    send_patiently,
    states,
    wait_state,
)

NodeFactory = Callable[..., Awaitable[Node]]
SCHEDULE = (5.0, 10.0, 30.0, 60.0)
SCALE = 0.02


async def rest_sender(url: str) -> tuple[Callable[[dict[str, Any]], Awaitable[MessageEvent]], Any]:
    tokens = SessionTokens(url, SUP, DEV_PASSWORD)

    async def send(msg: dict[str, Any]) -> MessageEvent:
        return await tokens.api.send(await tokens(None), msg)

    return send, tokens


async def set_blocked(url: str, blocked: bool) -> None:
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{url}/api/v1/dev/faults", json={"realtime_blocked": blocked}, headers=DEV_HEADERS
        )
        assert resp.status_code == 200, resp.text


async def test_blocked_transport_degrades_polls_on_schedule_and_recovers(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport, dev_faults=True)
    inbox = Inbox()
    reports: list[tuple[str, dict[str, Any]]] = []
    enum, tokens = resilient(
        node.url,
        transport,
        ENUM,
        inbox,
        on_state=lambda s, info: reports.append((s, info)),
        poll_schedule=SCHEDULE,
        time_scale=SCALE,
    )
    send, sup_tokens = await rest_sender(node.url)
    try:
        await enum.start()
        assert enum.state == "connected"
        await send(message(0))
        await inbox.wait_for(1)

        await set_blocked(node.url, True)
        await wait_state(enum, "degraded", timeout=5)
        for i in range(1, 5):
            await send(message(i))
        await inbox.wait_for(5, timeout=5)
        assert enum.state == "degraded", "messages must arrive by polling while blocked"
        deadline = time.monotonic() + 8
        while enum.poll_count < 6 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        intervals = [b - a for a, b in zip(enum.poll_times, enum.poll_times[1:], strict=False)]
        expected = [d * SCALE for d in (*SCHEDULE, SCHEDULE[-1])]
        assert len(intervals) >= 5, intervals
        # Lower bounds prove the schedule is honoured; the upper slack absorbs a slow
        # poll + probe round on a loaded machine (a round longer than the delay stretches it).
        for got, want in zip(intervals, expected, strict=False):
            assert want - 0.005 <= got <= want + 0.5, (intervals, expected)
        assert intervals[4] < SCHEDULE[-1] * SCALE * 1.5, "the schedule must stop at its ceiling"
        degraded = [info for s, info in reports if s == "degraded"]
        assert any(info["next_poll_at"] for info in degraded)
        assert all(info["transport"] == transport for info in degraded)

        await set_blocked(node.url, False)
        await wait_state(enum, "connected", timeout=5)
        for i in range(5, 8):
            await send(message(i))
        await inbox.wait_for(8)
        await asyncio.sleep(0.1)
        inbox.assert_exactly_once_in_order([f"m{i}" for i in range(8)])
        assert states(enum)[:2] == ["connecting", "connected"]
        assert states(enum)[-1] == "connected" and "degraded" in states(enum)
    finally:
        await enum.stop()
        await tokens.aclose()
        await sup_tokens.aclose()
    assert enum.state == "disconnected"


async def test_dropped_live_push_is_detected_by_seq_and_filled(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport)
    inbox = Inbox()
    enum, tokens = resilient(node.url, transport, ENUM, inbox)
    dropped: list[str] = []
    real = registry.client(transport)

    def lossy(base_url: str, on_message: Any = None) -> RealtimeClient:
        """A transport client that loses one push and delivers another one twice."""
        client = real(base_url, on_message=on_message)
        dispatch = client._dispatch

        async def flaky(event: MessageEvent) -> None:
            if event.body == "m3" and not dropped:
                dropped.append(event.body)
                return
            await dispatch(event)
            if event.body == "m1":
                await dispatch(event)

        client._dispatch = flaky  # type: ignore[method-assign]
        return client

    enum._client_cls = lossy  # type: ignore[assignment]
    send, sup_tokens = await rest_sender(node.url)
    try:
        await enum.start()
        for i in range(8):
            await send(message(i))
            await asyncio.sleep(0.02)
        await inbox.wait_for(8)
        await asyncio.sleep(0.1)
        assert dropped == ["m3"]
        inbox.assert_exactly_once_in_order([f"m{i}" for i in range(8)])
        assert inbox.bodies().index("m3") < inbox.bodies().index("m5")
        assert enum.delivery.gaps_filled == 1
        assert enum.delivery.duplicates >= 1
        assert enum.poll_count == 0 and states(enum) == ["connecting", "connected"]
    finally:
        await enum.stop()
        await tokens.aclose()
        await sup_tokens.aclose()


async def test_token_expiry_mid_stream_refreshes_and_reconnects_without_loss(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport, access_ttl_s=1.0, recheck_interval_s=0.5)
    inbox = Inbox()
    enum, tokens = resilient(node.url, transport, ENUM, inbox, refresh_margin_s=0.0)
    sup, sup_tokens = resilient(node.url, transport, SUP, lambda e: None, refresh_margin_s=0.0)
    try:
        await enum.start()
        await sup.start()
        started = time.monotonic()
        count = 0
        while time.monotonic() - started < 2.8:
            await send_patiently(sup.send, message(count))
            count += 1
            await asyncio.sleep(0.1)
        await inbox.wait_for(count)
        await asyncio.sleep(0.1)
        inbox.assert_exactly_once_in_order([f"m{i}" for i in range(count)])
        assert tokens.refreshes >= 2, "the 1 s token must have been refreshed while streaming"
        assert states(enum).count("connected") >= 3
        assert "disconnected" not in states(enum) and "degraded" not in states(enum)
        await wait_state(enum, "connected")
    finally:
        await enum.stop()
        await sup.stop()
        await tokens.aclose()
        await sup_tokens.aclose()


async def test_a_role_that_may_not_connect_ends_disconnected(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport)
    reports: list[str] = []
    client, tokens = resilient(
        node.url,
        transport,
        "data-entry-clerk.lga-01",
        Inbox(),
        on_state=lambda s, i: reports.append(s),
    )
    try:
        await asyncio.wait_for(client.start(), 5)
        assert client.state == "disconnected"
        assert client.tracker.last_error == "FORBIDDEN_ROLE"
        assert reports == ["connecting", "disconnected"]
    finally:
        await client.stop()
        await tokens.aclose()


async def test_revoke_all_ends_disconnected_after_the_refresh_is_refused(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport)
    client, tokens = resilient(node.url, transport, ENUM, Inbox())
    try:
        await client.start()
        assert client.state == "connected"
        async with httpx.AsyncClient() as http:
            resp = await http.post(
                f"{node.url}/api/v1/auth/revoke-all",
                headers={"Authorization": f"Bearer {await tokens(None)}"},
            )
            assert resp.status_code == 200
        await wait_state(client, "disconnected", timeout=5)
        assert states(client) == ["connecting", "connected", "connecting", "disconnected"]
    finally:
        await client.stop()
        await tokens.aclose()


async def test_send_while_degraded_goes_through_rest_idempotently(
    transport: str, node_factory: NodeFactory
) -> None:
    node = await node_factory(transport, dev_faults=True)
    sup, tokens = resilient(node.url, transport, SUP, lambda e: None)
    inbox = Inbox()
    enum, enum_tokens = resilient(node.url, transport, ENUM, inbox)
    try:
        await set_blocked(node.url, True)
        await sup.start()
        await enum.start()
        assert sup.state == "degraded" and enum.state == "degraded"
        msg = message(0)
        first = await sup.send(msg)
        again = await sup.send(msg)
        assert again.id == first.id and again.seq == first.seq
        await set_blocked(node.url, False)
        await wait_state(enum, "connected", timeout=5)
        await inbox.wait_for(1)
        await asyncio.sleep(0.1)
        assert inbox.bodies() == ["m0"]
    finally:
        await sup.stop()
        await enum.stop()
        await tokens.aclose()
        await enum_tokens.aclose()

"""Hostile and careless clients, the same on every transport: bad input is a structured refusal
that stores nothing, limits refuse with their code, every session end closes live connections
at once (on every node), and the server keeps serving another client throughout."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from rtspike.transports.core.errors import AppError, ErrorCode
from tests.contract.conftest import Harness, Recorder, contract_settings, redis_nodes, running

SUP1 = "sup.lga-01"
EN1, EN1B = "enum.lga-01.001", "enum.lga-01.002"


def send(body: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"broadcast": True, "body": body, "client_msg_id": f"h-{n}", **extra}


async def stored_bodies(harness: Harness, login: str = EN1) -> list[str]:
    r = await harness.rest("GET", "/messages", token=await harness.token(login))
    assert r.status_code == 200, r.text
    return [m["body"] for m in r.json()["messages"]]


async def still_serving(harness: Harness, tag: str) -> None:
    """Another user's send reaches a third user live: the server was not hurt."""
    rec = await harness.connect(EN1B)
    other = await harness.connect(SUP1)
    await other.client.send(send(tag, hash(tag) % 10**9))
    await rec.wait_for(1)
    assert rec.bodies() == [tag]


HOSTILE_SENDS = [
    json.dumps(send("x", 1, sent_at_ns=10**30)),
    '{"broadcast": true, "body": "\\ud800", "client_msg_id": "h-2"}',
    '{"broadcast": true, "body": "x", "client_msg_id": "\\udfff"}',
    "[" * 100 + "]" * 100,
    '{"broadcast": true, "body": "x", "client_msg_id": "h-3", "sent_at_ns": NaN}',
]


async def test_hostile_sends_are_refused_and_store_nothing(harness: Harness) -> None:
    sup = await harness.connect(SUP1)
    for data in HOSTILE_SENDS:
        reply = await sup.client.send_raw(data)
        assert reply.get("ok") is not True, data
        assert reply["error"]["code"] == "VALIDATION_ERROR", (data[:40], reply)
    assert await stored_bodies(harness) == []
    await still_serving(harness, "after-hostile-sends")


def _cursor(text: str) -> str:
    return "c1" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [_cursor("e|lga:lga-01=²"), _cursor("e|lga:lga-01=\u0661")])
async def test_a_cursor_with_unicode_digits_is_refused(harness: Harness, cursor: str) -> None:
    rec = harness.new_client(EN1)
    with pytest.raises(AppError) as info:
        await rec.client.connect(await harness.token(EN1), cursor)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    await still_serving(harness, "after-bad-cursor")


async def _connect_or_refusal(harness: Harness, token: str) -> AppError | Recorder:
    rec = harness.new_client(EN1)
    try:
        await rec.client.connect(token)
    except AppError as exc:
        return exc
    return rec


@pytest.mark.parametrize(
    "node_settings",
    [{"max_connections_per_session": 2}, {"max_connections_per_user": 2}],
    ids=["per_session", "per_user"],
)
async def test_connections_per_user_and_session_are_bounded(
    transport: str, tmp_path: Path, node_settings: dict[str, int]
) -> None:
    async with running(transport, contract_settings(tmp_path / "n", **node_settings)) as harness:
        node = harness.nodes[0]
        per_session = "max_connections_per_session" in node_settings
        token = await harness.token(EN1)
        tokens = [token, token, token] if per_session else [await harness.token(EN1) for _ in "abc"]
        first = [await _connect_or_refusal(harness, t) for t in tokens[:2]]
        assert all(isinstance(r, Recorder) for r in first)
        refused = await _connect_or_refusal(harness, tokens[2])
        assert isinstance(refused, AppError), "a third connection was accepted"
        assert refused.code is ErrorCode.RATE_LIMITED
        assert refused.details.get("reason") == "too_many_connections"
        assert node.hub.connection_count == 2
        # another user is not affected
        await still_serving(harness, "after-connection-limit")


async def _session_end_closes_within_a_second(harness: Harness, node: int = 0) -> None:
    pair = await harness.login(EN1, node=0)
    rec = await harness.connect(EN1, token=pair["access_token"], node=node)
    rotated = await harness.rest(
        "POST", "/auth/refresh", node=0, json={"refresh_token": pair["refresh_token"]}
    )
    assert rotated.status_code == 200
    started = time.monotonic()
    reuse = await harness.rest(
        "POST", "/auth/refresh", node=0, json={"refresh_token": pair["refresh_token"]}
    )
    assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "TOKEN_REVOKED"
    assert await rec.wait_closed(timeout=5.0) == 4001
    assert time.monotonic() - started < 1.0, "reuse detection must close live connections at once"
    assert rec.client.close_error is ErrorCode.SESSION_EXPIRED
    late = await harness.rest(
        "POST",
        "/messages",
        token=pair["access_token"],
        node=node,
        json={"to": harness.user_id(SUP1), "body": "late", "client_msg_id": "l1"},
    )
    assert late.status_code == 401
    assert "late" not in await stored_bodies(harness, SUP1)


async def test_refresh_reuse_closes_live_connections_at_once(harness: Harness) -> None:
    await _session_end_closes_within_a_second(harness)


@pytest.mark.redis
async def test_refresh_reuse_closes_connections_on_another_node(
    transport: str, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    async with running(transport, *redis_nodes(tmp_path, redis_url, redis_prefix)) as harness:
        await _session_end_closes_within_a_second(harness, node=1)


async def test_send_rate_is_shared_by_every_session_of_a_user(
    transport: str, tmp_path: Path
) -> None:
    settings = contract_settings(tmp_path / "n", send_rate_per_s=0.001, send_burst=4)
    async with running(transport, settings) as harness:
        sups = [await harness.connect(SUP1) for _ in range(3)]  # three logins
        outcomes = []
        for i in range(9):
            try:
                await sups[i % 3].client.send(send(f"r{i}", 100 + i))
                outcomes.append("ok")
            except AppError as exc:
                outcomes.append(exc.code.value)
        assert outcomes == ["ok"] * 4 + ["RATE_LIMITED"] * 5
        assert len(await stored_bodies(harness)) == 4


async def test_a_flood_of_bad_frames_logs_one_summary(transport: str, tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    settings = contract_settings(tmp_path / "n", log_lines_per_client=5, log_interval_s=0.5)
    async with running(transport, settings) as harness:
        sup = await harness.connect(SUP1)
        with capture_logs() as logs:
            for i in range(60):
                await sup.client.send_raw('{"broadcast": true}' if i % 2 else "{nope")
            await asyncio.sleep(0.6)
            await sup.client.send_raw("{nope")
        refusals = [x for x in logs if x["event"] in ("message.refused", "realtime.bad_frame")]
        summaries = [x for x in logs if x["event"] == "realtime.log_suppressed"]
        # one budget per client: the user, and on REST (SSE's upstream) also its address
        assert 1 <= len(summaries) <= 2 and all(s["suppressed"] >= 50 for s in summaries)
        assert len(refusals) <= 6 * len(summaries), len(refusals)


async def test_an_internal_error_after_the_handshake_is_a_structured_error(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure inside the server during a send or a connect reaches the client in its
    transport's error shape (never an HTTP response on an upgraded socket), is logged once at
    error level without its message, and the server keeps serving."""
    from structlog.testing import capture_logs

    hub = harness.nodes[0].hub
    sup = await harness.connect(SUP1)

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom-secret-detail")

    real_send, real_attach = hub.send, hub.attach
    with capture_logs() as logs:
        monkeypatch.setattr(hub, "send", broken)
        with pytest.raises(AppError) as sent:
            await sup.client.send(send("x", 900))
        assert sent.value.code is ErrorCode.INTERNAL
        monkeypatch.setattr(hub, "send", real_send)
        monkeypatch.setattr(hub, "attach", broken)
        rec = harness.new_client(EN1)
        try:
            await rec.client.connect(await harness.token(EN1))
        except AppError as exc:
            code = exc.code
        else:  # SSE: the stream had started, so the failure is its last event
            await rec.wait_closed(timeout=5.0)
            code = rec.client.close_error
        assert code in (ErrorCode.INTERNAL, ErrorCode.TRANSPORT_UNAVAILABLE)
        monkeypatch.setattr(hub, "attach", real_attach)
    errors = [x for x in logs if x["log_level"] == "error"]
    assert len(errors) == 2, errors
    assert "boom-secret-detail" not in json.dumps(logs, default=str)
    assert all(x["error"] == "RuntimeError" for x in errors)
    await still_serving(harness, "after-internal-errors")


async def test_the_absolute_session_limit_closes_live_connections(
    transport: str, tmp_path: Path
) -> None:
    """No token outlives its session, so a live connection ends at the absolute limit even if
    its access token would have lasted longer; refreshing then needs a new login."""
    settings = contract_settings(tmp_path / "n", session_absolute_s=1.5, session_inactivity_s=1.5)
    async with running(transport, settings) as harness:
        node = harness.nodes[0]
        pair = await harness.login(EN1)
        assert pair["expires_in"] <= 1.51
        rec = await harness.connect(EN1, token=pair["access_token"])
        assert await rec.wait_closed(timeout=5.0) == 4001
        r = await harness.rest(
            "POST", "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "SESSION_EXPIRED"
        assert node.hub.connection_count == 0

"""The transport contract: one suite, unchanged, against every transport in the registry.

Every test runs real aiohttp servers on loopback and the transport's real Python client.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.tokens import TokenService
from rtspike.transports.core.users import lga_ids
from tests.contract.conftest import (
    ENUMERATORS,
    LGAS,
    Harness,
    contract_settings,
    redis_nodes,
    running,
)

SUP1, SUP2 = "sup.lga-01", "sup.lga-02"
EN1, EN1B, EN2 = "enum.lga-01.001", "enum.lga-01.002", "enum.lga-02.001"


def msg(body: str, to: str | None = None, n: int | None = None) -> dict[str, object]:
    cid = f"c-{body[:24]}-{n if n is not None else time.monotonic_ns()}"
    if to is None:
        return {"broadcast": True, "body": body, "client_msg_id": cid}
    return {"to": to, "body": body, "client_msg_id": cid}


async def test_valid_token_connects_and_direct_and_broadcast_arrive(harness: Harness) -> None:
    enum = await harness.connect(EN1)
    other = await harness.connect(EN1B)
    sup = await harness.connect(SUP1)
    ack = await sup.client.send(msg("hello-team"))
    assert ack.stream == "lga:lga-01" and ack.seq == 1 and ack.body == "hello-team"
    direct = await sup.client.send(msg("just-you", to=harness.user_id(EN1)))
    assert direct.stream == f"user:{harness.user_id(EN1)}"
    assert [e.body for e in await enum.wait_for(2)] == ["hello-team", "just-you"]
    assert (await other.wait_for(1))[0].body == "hello-team"
    await harness.barrier(other)
    assert other.bodies() == ["hello-team"], "a direct message reached someone else"
    assert enum.received[0].sender == harness.user_id(SUP1)


async def test_enumerator_direct_to_own_supervisor(harness: Harness) -> None:
    sup = await harness.connect(SUP1)
    enum = await harness.connect(EN1)
    await enum.client.send(msg("report", to=harness.user_id(SUP1)))
    got = await sup.wait_for(1)
    assert got[0].body == "report" and got[0].sender == harness.user_id(EN1)


def _token_of_kind(harness: Harness, kind: str, settings_secret_user: str) -> str:
    tokens = TokenService(harness.nodes[0].hub.settings, clock=lambda: time.time() - 100_000)
    user = harness.users[settings_secret_user]
    if kind == "expired":
        return tokens.issue_access(user, "no-session")[0]
    return "not.a.jwt"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("garbage", ErrorCode.AUTH_REQUIRED),
        ("empty", ErrorCode.AUTH_REQUIRED),
        ("expired", ErrorCode.TOKEN_EXPIRED),
        ("logged_out", ErrorCode.TOKEN_REVOKED),
        ("revoked_all", ErrorCode.TOKEN_REVOKED),
        ("forbidden_role", ErrorCode.FORBIDDEN_ROLE),
    ],
)
async def test_refused_connections_carry_their_code(
    harness: Harness, kind: str, code: ErrorCode
) -> None:
    if kind in ("garbage", "expired"):
        token = _token_of_kind(harness, kind, EN1)
    elif kind == "empty":
        token = ""
    elif kind == "forbidden_role":
        token = await harness.token("super-admin.lga-01")
    else:
        token = await harness.token(EN1)
        path = "/auth/logout" if kind == "logged_out" else "/auth/revoke-all"
        assert (await harness.rest("POST", path, token=token)).status_code == 200
    rec = harness.new_client(EN1)
    with capture_logs() as logs:
        with pytest.raises(AppError) as info:
            await rec.client.connect(token)
    assert info.value.code == code
    failures = [e for e in logs if e["event"] == "realtime.auth_failed"]
    assert failures and failures[0]["code"] == code.value
    assert failures[0]["transport"] == harness.transport
    assert all(token not in str(e) for e in logs) or token == ""


async def test_population_isolation_no_leaks(harness: Harness) -> None:
    """3 LGAs x (1 supervisor + 4 enumerators): each receives exactly what policy allows."""
    recs = {}
    for lga in lga_ids(LGAS):
        recs[f"sup.{lga}"] = await harness.connect(f"sup.{lga}")
        for n in range(1, ENUMERATORS + 1):
            recs[f"enum.{lga}.{n:03d}"] = await harness.connect(f"enum.{lga}.{n:03d}")
    for lga in lga_ids(LGAS):
        sup = recs[f"sup.{lga}"]
        await sup.client.send(msg(f"bc-{lga}"))
        for n in range(1, ENUMERATORS + 1):
            login = f"enum.{lga}.{n:03d}"
            await sup.client.send(msg(f"dm-{lga}-{n}", to=harness.user_id(login)))
            await recs[login].client.send(msg(f"up-{lga}-{n}", to=harness.user_id(f"sup.{lga}")))
    for login, rec in recs.items():
        lga = harness.users[login].lga_id
        if login.startswith("sup."):
            expected = {f"bc-{lga}"} | {f"up-{lga}-{n}" for n in range(1, ENUMERATORS + 1)}
        else:
            n = int(login.rsplit(".", 1)[1])
            expected = {f"bc-{lga}", f"dm-{lga}-{n}"}
        await rec.wait_for(len(expected))
    await harness.barrier(*recs.values())
    for login, rec in recs.items():
        lga = harness.users[login].lga_id
        assert all(e.lga_id == lga for e in rec.received), f"cross-LGA leak to {login}"
        if login.startswith("sup."):
            assert sorted(rec.bodies()) == sorted(
                [f"bc-{lga}"] + [f"up-{lga}-{n}" for n in range(1, ENUMERATORS + 1)]
            )
        else:
            n = int(login.rsplit(".", 1)[1])
            assert sorted(rec.bodies()) == sorted([f"bc-{lga}", f"dm-{lga}-{n}"])
    for role_login in ("super-admin.lga-01", "public-user.lga-01", "government-official.lga-01"):
        token = await harness.token(role_login)
        with pytest.raises(AppError) as info:
            await harness.new_client(role_login).client.connect(token)
        assert info.value.code == ErrorCode.FORBIDDEN_ROLE
        resp = await harness.rest("GET", "/messages", token=token)
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "FORBIDDEN_ROLE"


async def test_boundary_violation_refused_logged_and_not_delivered(harness: Harness) -> None:
    victim = await harness.connect(EN2)
    sup = await harness.connect(SUP1)
    enum = await harness.connect(EN1)
    hub = harness.nodes[0].hub
    with capture_logs() as logs:
        with pytest.raises(AppError) as cross:
            await sup.client.send(msg("sneaky", to=harness.user_id(EN2)))
        with pytest.raises(AppError) as enum_bc:
            await enum.client.send(msg("enum-broadcast"))
        with pytest.raises(AppError) as enum_enum:
            await enum.client.send(msg("peer", to=harness.user_id(EN1B)))
    for info in (cross, enum_bc, enum_enum):
        assert info.value.code == ErrorCode.TEAM_BOUNDARY_VIOLATION
    violations = [e for e in logs if e["event"] == "realtime.boundary_violation"]
    assert len(violations) == 3
    assert violations[0]["transport"] == harness.transport
    assert violations[0]["sender_lga"] == "lga-01" and violations[0]["target_lga"] == "lga-02"
    await harness.barrier(victim)
    assert victim.received == []
    assert await hub.log.head(f"user:{harness.user_id(EN2)}") == 0
    assert await hub.log.head("lga:lga-01") == 0


@pytest.mark.parametrize("how", ["/auth/logout", "/auth/revoke-all"])
async def test_revocation_closes_live_connection_within_1s(harness: Harness, how: str) -> None:
    token = await harness.token(EN1)
    rec = await harness.connect(EN1, token=token)
    bystander = await harness.connect(EN1B)
    with capture_logs() as logs:
        started = time.monotonic()
        assert (await harness.rest("POST", how, token=token)).status_code == 200
        code = await rec.wait_closed(timeout=3.0)
        elapsed = time.monotonic() - started
    assert code == 4001
    assert elapsed < 1.0, f"closed after {elapsed:.2f}s"
    assert any(e["event"] == "realtime.revoked" for e in logs)
    sup = await harness.connect(SUP1)
    await sup.client.send(msg("still-here"))
    assert (await bystander.wait_for(1))[0].body == "still-here"


async def test_token_expiry_closes_live_connection(transport: str, tmp_path: Path) -> None:
    async with running(transport, contract_settings(tmp_path, access_ttl_s=1.5)) as harness:
        rec = await harness.connect(EN1)
        started = time.monotonic()
        code = await rec.wait_closed(timeout=4.0)
        assert code == 4001
        assert time.monotonic() - started < 1.5 + 1.0


async def test_reconnect_with_cursor_gets_exactly_the_missed_messages(harness: Harness) -> None:
    sup = await harness.connect(SUP1)
    enum = await harness.connect(EN1)
    for i in range(3):
        await sup.client.send(msg(f"m{i}", n=i))
    await enum.wait_for(3)
    cursor = enum.client.cursor
    await enum.client.close()
    for i in range(3, 8):
        await sup.client.send(msg(f"m{i}", n=i))
    again = await harness.connect(EN1, cursor=cursor)
    await again.wait_for(5)
    await sup.client.send(msg("m8", n=8))
    await again.wait_for(6)
    await harness.barrier(again)
    assert again.bodies() == [f"m{i}" for i in range(3, 9)]
    assert [e.seq for e in again.received] == list(range(4, 10))


async def test_bad_input_gets_structured_errors_and_changes_nothing(harness: Harness) -> None:
    sup = await harness.connect(SUP1)
    enum = await harness.connect(EN1)
    hub = harness.nodes[0].hub
    limit = hub.settings.max_message_bytes
    cases = {
        "{not json": {ErrorCode.VALIDATION_ERROR},
        "[1, 2]": {ErrorCode.VALIDATION_ERROR},
        '{"broadcast": true, "body": "x", "client_msg_id": "a", "admin": 1}': {
            ErrorCode.VALIDATION_ERROR
        },
        '{"broadcast": true, "body": "   ", "client_msg_id": "a"}': {ErrorCode.VALIDATION_ERROR},
        '{"broadcast": true, "body": "%s", "client_msg_id": "a"}' % ("y" * 4001): {
            ErrorCode.PAYLOAD_TOO_LARGE
        },
        '{"broadcast": true, "body": "%s", "client_msg_id": "a"}' % ("z" * (limit + 10)): {
            ErrorCode.PAYLOAD_TOO_LARGE
        },
    }
    for raw, codes in cases.items():
        reply = await sup.client.send_raw(raw)
        assert "error" in reply, f"no error for {raw[:40]!r}: {reply}"
        assert reply["error"]["code"] in {c.value for c in codes}, (raw[:40], reply)
    unknown = await sup.client.send_raw("{}", kind="no.such.frame")
    assert "error" in unknown and unknown["error"]["code"] in {
        ErrorCode.VALIDATION_ERROR.value,
        ErrorCode.NOT_FOUND.value,
    }
    assert await hub.log.head("lga:lga-01") == 0
    await sup.client.send(msg("after-garbage"))
    assert (await enum.wait_for(1))[0].body == "after-garbage"


async def test_idempotent_send_by_client_msg_id(harness: Harness) -> None:
    sup = await harness.connect(SUP1)
    enum = await harness.connect(EN1)
    m = msg("once", n=1)
    first = await sup.client.send(m)
    second = await sup.client.send(m)
    assert first.id == second.id and first.seq == second.seq
    await enum.wait_for(1)
    await harness.barrier(enum)
    assert enum.bodies() == ["once"]


async def test_slow_consumer_cut_off_fast_one_keeps_up(transport: str, tmp_path: Path) -> None:
    async with running(transport, contract_settings(tmp_path, queue_bound=16)) as harness:
        node = harness.nodes[0]
        slow = await harness.connect(EN1)
        fast = await harness.connect(EN1B)
        sup = await harness.connect(SUP1)
        cursor = slow.client.cursor
        slow.client.pause_reading()
        total, body = 300, "x" * 3900
        for i in range(total):
            await sup.client.send(msg(f"{i}-{body}", n=i))
        await fast.wait_for(total, timeout=30)
        deadline = time.monotonic() + 10
        while node.hub.connection_count > 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert node.hub.connection_count == 2, "slow consumer was not disconnected"
        metrics = (await harness.rest("GET", "/metrics")).text
        assert 'reason="slow_consumer"' in metrics
        lat = sorted(fast.latencies)
        assert lat[int(len(lat) * 0.99) - 1] < 2.0, "the fast consumer was slowed down"
        again = await harness.connect(EN1, cursor=cursor)
        await again.wait_for(total, timeout=30)
        assert [e.seq for e in again.received] == list(range(1, total + 1))


async def test_a_stalled_reader_is_cut_and_counted(transport: str, tmp_path: Path) -> None:
    """However the transport notices a reader that stopped reading (its queue bound, or a
    stall timeout on a socket that takes nothing, SSE's), the cut is counted: dashboards and
    the fan-out scenario read this counter. The queue bound is set well above what the socket
    buffers hold, so a stall timeout, where a transport has one, fires first."""
    # keep-alives far apart: a client that cannot read its pongs gives up on its own
    settings = contract_settings(tmp_path, queue_bound=200, stall_timeout_s=0.5, keepalive_s=60)
    async with running(transport, settings) as harness:
        node = harness.nodes[0]
        slow = await harness.connect(EN1)
        sup = await harness.connect(SUP1)
        slow.client.pause_reading()
        body, sent = "x" * 3900, 0
        deadline = time.monotonic() + 30
        while node.hub.connection_count > 1 and time.monotonic() < deadline:
            await sup.client.send(msg(f"{sent}-{body}", n=sent))
            sent += 1
            await asyncio.sleep(0.005)
        assert node.hub.connection_count == 1, f"the stalled reader was not cut ({sent} sent)"
        metrics = (await harness.rest("GET", "/metrics")).text
        labels = f'reason="slow_consumer",transport="{transport}"'
        counted = f"rtspike_server_disconnects_total{{{labels}}} 1.0"
        assert counted in metrics, "the cut was not counted as a slow consumer"


@pytest.mark.redis
async def test_cross_node_delivery_through_redis(
    transport: str, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    async with running(transport, *redis_nodes(tmp_path, redis_url, redis_prefix)) as harness:
        token = await harness.token(EN1, node=0)
        enum_b = await harness.connect(EN1, token=token, node=1)
        other_lga_b = await harness.connect(EN2, node=1)
        sup_a = await harness.connect(SUP1, node=0)
        for i in range(20):
            await sup_a.client.send(msg(f"x{i}", n=i))
        await enum_b.wait_for(20)
        await harness.barrier(enum_b, other_lga_b)
        assert enum_b.bodies() == [f"x{i}" for i in range(20)]
        assert other_lga_b.received == []
        started = time.monotonic()
        assert (await harness.rest("POST", "/auth/logout", token=token, node=0)).status_code == 200
        assert await enum_b.wait_closed(timeout=3.0) == 4001
        assert time.monotonic() - started < 1.0

"""ws-only protocol details the transport contract does not cover, on a real server."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.errors import AppError, ErrorCode
from tests.contract.conftest import Harness, Node
from tests.transports.ws.conftest import raw, recv_json

SUP1, EN1 = "sup.lga-01", "enum.lga-01.001"


async def closed_with(ws, timeout: float = 5.0) -> int:
    try:
        await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "closed without a close frame"
        return exc.rcvd.code
    raise AssertionError("expected the server to close the connection")


async def authed(harness: Harness, node: Node, login: str = EN1):
    ws = await raw(node)
    await ws.send(json.dumps({"type": "auth", "token": await harness.token(login)}))
    ready = await recv_json(ws)
    assert ready["type"] == "ready", ready
    return ws, ready


@pytest.mark.parametrize("node", [{"auth_timeout_s": 0.3}], indirect=True)
async def test_no_auth_frame_in_time_is_refused_with_4501(node: Node) -> None:
    ws = await raw(node)
    frame = await recv_json(ws, timeout=3)
    assert frame["type"] == "error" and frame["error"]["code"] == "AUTH_REQUIRED"
    assert await closed_with(ws) == 4501
    assert node.hub.connection_count == 0


@pytest.mark.parametrize(
    "first", ['{"type": "ping"}', "not json", "[1]", b"\x00binary", '{"token": "x"}']
)
async def test_first_frame_must_be_auth(node: Node, first: str | bytes) -> None:
    ws = await raw(node)
    await ws.send(first)
    frame = await recv_json(ws)
    assert frame == {"type": "error", "error": frame["error"], "close_code": 4501}
    assert frame["error"]["code"] == "AUTH_REQUIRED"
    assert await closed_with(ws) == 4501


@pytest.mark.parametrize(
    ("token", "code", "close"),
    [
        ("not.a.jwt", "AUTH_REQUIRED", 4501),
        (None, "AUTH_REQUIRED", 4501),
        ("super-admin.lga-01", "FORBIDDEN_ROLE", 4503),
    ],
)
async def test_refusals_close_with_the_errors_code(
    harness: Harness, node: Node, token: str | None, code: str, close: int
) -> None:
    if token == "super-admin.lga-01":
        token = await harness.token(token)
    ws = await raw(node)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    frame = await recv_json(ws)
    assert frame["type"] == "error" and frame["error"]["code"] == code
    assert await closed_with(ws) == close


async def test_logged_out_token_is_refused_with_4001(harness: Harness, node: Node) -> None:
    token = await harness.token(EN1)
    assert (await harness.rest("POST", "/auth/logout", token=token)).status_code == 200
    ws = await raw(node)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    assert (await recv_json(ws))["error"]["code"] == "TOKEN_REVOKED"
    assert await closed_with(ws) == 4001


async def test_malformed_cursor_is_refused(harness: Harness, node: Node) -> None:
    ws = await raw(node)
    await ws.send(
        json.dumps({"type": "auth", "token": await harness.token(EN1), "cursor": "not-a-cursor"})
    )
    assert (await recv_json(ws))["error"]["code"] == "VALIDATION_ERROR"
    assert await closed_with(ws) == 4400
    assert node.hub.connection_count == 0


async def test_ready_frame_describes_the_principal_and_start_cursor(
    harness: Harness, node: Node
) -> None:
    sup = await harness.connect(SUP1)
    await sup.client.send({"broadcast": True, "body": "one", "client_msg_id": "r-1"})
    ws, ready = await authed(harness, node)
    uid = harness.user_id(EN1)
    assert ready["user"] == {"id": uid, "role": "enumerator", "lga_id": "lga-01"}
    assert ready["streams"] == ["lga:lga-01", f"user:{uid}"]
    cursor = Cursor.decode(ready["cursor"])
    assert cursor.epoch == node.hub.epoch
    assert cursor.positions == {"lga:lga-01": 0, f"user:{uid}": 0}
    replay = await recv_json(ws)
    assert replay["type"] == "message" and replay["message"]["body"] == "one"
    await ws.close()


async def test_resume_cursor_in_auth_frame_skips_what_was_seen(
    harness: Harness, node: Node
) -> None:
    sup = await harness.connect(SUP1)
    for i in range(3):
        await sup.client.send({"broadcast": True, "body": f"m{i}", "client_msg_id": f"s-{i}"})
    seen = Cursor(node.hub.epoch, {"lga:lga-01": 2})
    ws = await raw(node)
    await ws.send(
        json.dumps({"type": "auth", "token": await harness.token(EN1), "cursor": seen.encode()})
    )
    ready = await recv_json(ws)
    assert Cursor.decode(ready["cursor"]).positions["lga:lga-01"] == 2
    frame = await recv_json(ws)
    assert frame["message"]["body"] == "m2" and frame["message"]["seq"] == 3
    await ws.close()


async def test_ping_pong_and_bad_frames_keep_the_connection(harness: Harness, node: Node) -> None:
    ws, _ = await authed(harness, node, SUP1)
    limit = node.hub.settings.max_message_bytes
    await ws.send(json.dumps({"type": "ping"}))
    assert await recv_json(ws) == {"type": "pong"}
    bad: list[tuple[str | bytes, str]] = [
        (b"\x01\x02", "VALIDATION_ERROR"),
        ("{nope", "VALIDATION_ERROR"),
        ('"a string"', "VALIDATION_ERROR"),
        (json.dumps({"type": "nope", "id": "q1"}), "VALIDATION_ERROR"),
        (json.dumps({"type": "auth", "token": "again"}), "VALIDATION_ERROR"),
        ("x" * (limit + 5000), "PAYLOAD_TOO_LARGE"),
        (json.dumps({"type": "message.send", "id": "q2"}), "VALIDATION_ERROR"),
    ]
    for data, code in bad:
        await ws.send(data)
        frame = await recv_json(ws)
        assert frame["type"] == "error" and frame["error"]["code"] == code, (data[:30], frame)
    await ws.send(json.dumps({"type": "nope", "id": "q3"}))
    assert (await recv_json(ws))["id"] == "q3", "the request id is echoed on errors"
    await ws.send(
        json.dumps(
            {
                "type": "message.send",
                "id": 7,
                "message": {"broadcast": True, "body": "still-open", "client_msg_id": "ok-1"},
            }
        )
    )
    ack = await recv_json(ws)
    assert ack["type"] == "ack" and ack["id"] == 7 and ack["message"]["body"] == "still-open"
    assert node.hub.connection_count == 1
    metrics = (await harness.rest("GET", "/metrics")).text
    assert 'rtspike_errors_total{code="PAYLOAD_TOO_LARGE",transport="ws"} 1.0' in metrics
    await ws.close()


async def test_refused_send_names_its_request(harness: Harness, node: Node) -> None:
    ws, _ = await authed(harness, node)
    await ws.send(
        json.dumps(
            {
                "type": "message.send",
                "id": "x1",
                "message": {
                    "broadcast": True,
                    "body": "enumerators cannot broadcast",
                    "client_msg_id": "e-1",
                },
            }
        )
    )
    frame = await recv_json(ws)
    assert frame["id"] == "x1" and frame["error"]["code"] == "TEAM_BOUNDARY_VIOLATION"
    await ws.close()


async def test_server_shutdown_closes_clients_with_4012(harness: Harness, node: Node) -> None:
    rec = await harness.connect(EN1)
    ws, _ = await authed(harness, node, SUP1)
    await node.server.close()
    assert await rec.wait_closed(timeout=5.0) == 4012
    said = await recv_json(ws)
    assert said["type"] == "error" and said["close_code"] == 4012
    assert said["error"]["code"] == "TRANSPORT_UNAVAILABLE"
    assert await closed_with(ws) == 4012


async def test_client_connect_raises_the_refusal(harness: Harness) -> None:
    rec = harness.new_client(EN1)
    with pytest.raises(AppError) as info:
        await rec.client.connect("garbage")
    assert info.value.code is ErrorCode.AUTH_REQUIRED
    assert not rec.client.closed.is_set()


async def test_client_ping_and_send_raw_replies(harness: Harness) -> None:
    rec = await harness.connect(SUP1)
    client = rec.client
    await client.ping()  # type: ignore[attr-defined]
    ok = await client.send_raw(
        json.dumps({"broadcast": True, "body": "raw", "client_msg_id": "raw-1"})
    )
    assert ok["ok"] is True and ok["message"]["body"] == "raw"
    bad = await client.send_raw("{broken")
    assert bad["error"]["code"] == "VALIDATION_ERROR"

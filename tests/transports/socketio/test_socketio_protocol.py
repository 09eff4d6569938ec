"""Socket.IO-only behaviour the shared contract suite cannot express."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
import socketio
from structlog.testing import capture_logs

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.server.outbox import SEND_BUFFER_BYTES
from rtspike.transports.socketio import engine
from rtspike.transports.socketio.connection import SioConnection, packet_cache
from rtspike.transports.socketio.server import SIO_KEY
from tests.contract.conftest import Harness, contract_settings, start_node
from tests.factories import make_event

SUP, ENUM, ENUM_B = "sup.lga-01", "enum.lga-01.001", "enum.lga-01.002"


class RawClient:
    """A bare python-socketio client, to send what our Client never would."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.refused: Any = None
        self.errors: list[Any] = []
        self.sio.on("connect_error", self._refused)
        self.sio.on("error", self._error)

    async def _refused(self, data: Any = None) -> None:
        self.refused = data

    async def _error(self, data: Any = None) -> None:
        self.errors.append(data)

    async def connect(self, url: str, auth: Any) -> None:
        await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)


@pytest.mark.parametrize("auth", ["a-bare-string", ["token", "x"]])
async def test_auth_that_is_not_an_object_is_refused_with_validation_error(
    harness: Harness, auth: Any
) -> None:
    raw = RawClient()
    with capture_logs() as logs, pytest.raises(socketio.exceptions.ConnectionError):
        await raw.connect(harness.url(), auth)
    data = raw.refused["data"]
    assert data["error"]["code"] == "VALIDATION_ERROR" and data["close_code"] == 4400
    assert any(e["event"] == "realtime.bad_frame" and e["transport"] == "socketio" for e in logs)
    assert harness.nodes[0].hub.connection_count == 0


async def test_missing_auth_is_auth_required(harness: Harness) -> None:
    raw = RawClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await raw.connect(harness.url(), None)
    assert raw.refused["data"]["error"]["code"] == "AUTH_REQUIRED"
    assert raw.refused["data"]["close_code"] == 4501


@pytest.mark.parametrize("cursor", ["garbage", "c1!!!not-base64", 42])
async def test_malformed_cursor_is_refused_with_validation_error(
    harness: Harness, cursor: Any
) -> None:
    token = await harness.token(ENUM)
    raw = RawClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await raw.connect(harness.url(), {"token": token, "cursor": cursor})
    assert raw.refused["data"]["error"]["code"] == "VALIDATION_ERROR"
    assert harness.nodes[0].hub.connection_count == 0
    rec = harness.new_client(ENUM)
    with pytest.raises(AppError) as info:
        await rec.client.connect(token, "garbage")
    assert info.value.code is ErrorCode.VALIDATION_ERROR


async def test_unknown_event_gets_error_event_and_error_ack_and_connection_stays(
    harness: Harness,
) -> None:
    token = await harness.token(SUP)
    raw = RawClient()
    await raw.connect(harness.url(), {"token": token})
    with capture_logs() as logs:
        ack = await raw.sio.call("admin:delete-everything", {"all": True}, timeout=5)
    assert ack["ok"] is False and ack["error"]["code"] == "VALIDATION_ERROR"
    for _ in range(50):
        if raw.errors:
            break
        await asyncio.sleep(0.02)
    assert raw.errors and raw.errors[0]["error"]["code"] == "VALIDATION_ERROR"
    assert "close_code" not in raw.errors[0], "an unknown event must not end the connection"
    bad = [e for e in logs if e["event"] == "realtime.bad_frame"]
    assert bad and bad[0]["frame"] == "admin:delete-everything" and bad[0]["role"] == "supervisor"
    await raw.sio.emit("no-ack-either", "x")
    ok = await raw.sio.call(
        "message:send", {"broadcast": True, "body": "hi", "client_msg_id": "u1"}
    )
    assert ok["ok"] is True and ok["message"]["body"] == "hi"
    assert raw.sio.connected
    await raw.sio.disconnect()


async def test_server_shutdown_closes_clients_with_4012(tmp_path: Path) -> None:
    node = await start_node(contract_settings(tmp_path), "socketio")
    harness = Harness("socketio", [node])
    try:
        recs = [await harness.connect(login) for login in (SUP, ENUM, ENUM_B)]
        await node.server.close()
        codes = [await rec.wait_closed(timeout=5.0) for rec in recs]
        assert codes == [4012, 4012, 4012]
        assert all(rec.client.close_error == ErrorCode.TRANSPORT_UNAVAILABLE for rec in recs)
    finally:
        await harness.aclose()


async def test_one_app_one_server_and_packets_encoded_once(tmp_path: Path) -> None:
    a = await start_node(contract_settings(tmp_path / "a"), "socketio")
    b = await start_node(contract_settings(tmp_path / "b"), "socketio")
    try:
        assert a.server.app[SIO_KEY].sio is not b.server.app[SIO_KEY].sio
    finally:
        await a.server.close()
        await b.server.close()
    cache = packet_cache()
    event = make_event(1, "lga:x", lga_id="x")
    first = cache(event)
    assert cache(event) is first
    assert first[0].encode() == f'42["message:new",{event.wire()}]'
    assert first[1] == engine.frame(first[0].encode())


class _FakeSocket:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False


class _Closer:
    def __init__(self) -> None:
        self.calls: list[AppError] = []

    def schedule_close(self, conn: SioConnection, why: AppError) -> None:
        self.calls.append(why)


async def test_push_refuses_over_the_bound_and_drain_waits_for_room() -> None:
    sock, closer = _FakeSocket(), _Closer()
    conn = SioConnection("sid", sock, None, packet_cache(), closer, queue_bound=4)  # type: ignore[arg-type]
    events = [make_event(i, "lga:x", lga_id="x") for i in range(1, 7)]
    assert [conn.push(e) for e in events] == [True, True, True, True, False, False]
    drained = asyncio.get_running_loop().create_task(conn.drain())
    await asyncio.sleep(0.02)
    assert not drained.done()
    for _ in range(2):
        sock.queue.get_nowait()
    await asyncio.wait_for(drained, 1.0)
    slow = AppError(ErrorCode.SLOW_CONSUMER, "slow")
    conn.close(slow)
    conn.close(slow)
    assert closer.calls == [slow] and conn.close_code == 4008
    assert conn.push(events[-1]) is True and conn.queued == 2, "a closing connection takes no more"


async def test_websocket_sessions_use_the_direct_writer_with_a_fixed_kernel_buffer(
    harness: Harness,
) -> None:
    await harness.connect(ENUM)
    server = harness.nodes[0].server.app[SIO_KEY]
    (conn,) = server.conns.values()
    writer = engine.writer_of(conn.eio_socket)
    assert writer is not None and conn.writer is writer, "WebSocket session not on the writer"
    raw = writer.transport.get_extra_info("socket")
    # Linux doubles the requested size for bookkeeping; autotuning would be far larger.
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * SEND_BUFFER_BYTES

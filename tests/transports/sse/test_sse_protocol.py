"""SSE wire specifics the contract suite does not see: headers, retry, ids as cursors,
keep-alives, tickets, server-ended streams, and that no credential reaches a log line."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.settings import SettingsError
from rtspike.transports.core.users import DEV_PASSWORD
from rtspike.transports.server.app import build_app
from rtspike.transports.server.http import HUB_KEY
from rtspike.transports.sse import server as sse_server
from tests.contract.conftest import Harness, contract_settings, start_node
from tests.transports.sse.rest import broadcast

SUP1, EN1, EN1B = "sup.lga-01", "enum.lga-01.001", "enum.lga-01.002"
BAD_SEQ = "c1" + base64.urlsafe_b64encode(b"epoch|lga:lga-01=x").decode()


class Stream:
    """A raw SSE reader: the events exactly as they are on the wire, comments included."""

    def __init__(self, resp: httpx.Response) -> None:
        self.resp = resp
        self._lines = resp.aiter_lines()

    async def block(self, timeout: float = 5.0) -> list[str]:
        lines: list[str] = []
        async with asyncio.timeout(timeout):
            while True:
                line = await anext(self._lines)
                if line == "":
                    if lines:
                        return lines
                    continue
                lines.append(line)

    async def event(self, timeout: float = 5.0) -> dict[str, str]:
        """The next event that is not a comment, as its fields."""
        async with asyncio.timeout(timeout):
            while True:
                fields: dict[str, str] = {}
                for line in await self.block(timeout):
                    if line.startswith(":"):
                        continue
                    name, _, value = line.partition(": ")
                    fields[name] = value
                if fields:
                    return fields


@asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, base: str, token: str | None = None, **kw: Any
) -> AsyncIterator[Stream]:
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.stream("GET", f"{base}/realtime/sse", headers=headers, **kw) as resp:
        yield Stream(resp)


def sse(h: Harness, token: str | None = None, **kw: Any) -> Any:
    return open_stream(h.http, h.url(), token, **kw)


async def refused(h: Harness, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with asyncio.timeout(5):
        resp = await h.http.get(f"{h.url()}/realtime/sse", **kw)
    assert resp.headers["content-type"].startswith("application/json")
    return resp.status_code, resp.json()


async def ticket(h: Harness, token: str) -> str:
    resp = await h.rest("POST", "/realtime/ticket", token=token)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["ticket"])


@asynccontextmanager
async def node(tmp_path: Path, **overrides: Any) -> AsyncIterator[Harness]:
    n = await start_node(contract_settings(tmp_path, **overrides), "sse")
    h = Harness("sse", [n])
    try:
        yield h
    finally:
        await h.aclose()
        await n.server.close()


@pytest.fixture
async def h(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.setenv("RTSPIKE_SSE_RETRY_MS", "1234")
    async with node(tmp_path, keepalive_s=0.2) as harness:
        yield harness


def test_a_bad_retry_setting_stops_the_app_naming_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RTSPIKE_SSE_RETRY_MS", "5")
    with pytest.raises(SettingsError, match="RTSPIKE_SSE_RETRY_MS: Input should be greater"):
        build_app(contract_settings(tmp_path), ["sse"])


async def test_headers_retry_line_and_keepalive(h: Harness) -> None:
    async with sse(h, await h.token(EN1)) as s:
        assert s.resp.status_code == 200
        assert s.resp.headers["content-type"] == "text/event-stream"
        assert s.resp.headers["cache-control"] == "no-cache"
        assert s.resp.headers["x-accel-buffering"] == "no"
        assert await s.block() == ["retry: 1234"]
        assert await s.block(timeout=1.0) == [": ka"]
        assert await s.block(timeout=1.0) == [": ka"]


async def test_event_id_is_the_cursor_after_that_event_and_resumes_exactly(h: Harness) -> None:
    sup, enum = await h.token(SUP1), await h.token(EN1)
    async with sse(h, enum) as s:
        await s.block()
        sent = [await broadcast(h, sup, f"m{i}") for i in range(3)]
        got = [await s.event() for _ in range(3)]
    assert [g["event"] for g in got] == ["message"] * 3
    assert [json.loads(g["data"]) for g in got] == sent
    ids = [Cursor.decode(g["id"]) for g in got]
    assert [c.positions["lga:lga-01"] for c in ids] == [1, 2, 3]
    assert all(c.epoch == sent[0]["epoch"] for c in ids)
    assert set(ids[0].positions) == {"lga:lga-01", f"user:{h.user_id(EN1)}"}

    await broadcast(h, sup, "m3")
    for resume in (
        {"headers": {"Last-Event-ID": got[1]["id"]}},
        {"params": {"cursor": got[1]["id"]}},
    ):
        async with sse(h, enum, **resume) as s:
            await s.block()
            replay = [json.loads((await s.event())["data"])["body"] for _ in range(2)]
            assert replay == ["m2", "m3"]
            with pytest.raises(TimeoutError):
                await s.event(timeout=0.4)


async def test_last_event_id_wins_over_cursor_param(h: Harness) -> None:
    sup, enum = await h.token(SUP1), await h.token(EN1)
    async with sse(h, enum) as s:
        await s.block()
        for i in range(2):
            await broadcast(h, sup, f"m{i}")
        first, _second = await s.event(), await s.event()
    async with sse(
        h, enum, headers={"Last-Event-ID": first["id"]}, params={"cursor": "c1garbage!!"}
    ) as s:
        await s.block()
        assert json.loads((await s.event())["data"])["body"] == "m1"


async def test_malformed_cursor_is_a_400_before_the_stream(h: Harness) -> None:
    token = await h.token(EN1)
    hub = h.nodes[0].hub
    with capture_logs() as logs:
        for kw in ({"headers": {"Last-Event-ID": "nope"}}, {"params": {"cursor": BAD_SEQ}}):
            status, body = await refused(
                h,
                headers={"Authorization": f"Bearer {token}", **kw.get("headers", {})},
                params=kw.get("params"),
            )
            assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    bad = [e for e in logs if e["event"] == "realtime.bad_frame"]
    assert len(bad) == 2 and bad[0]["transport"] == "sse" and bad[0]["user"] == h.user_id(EN1)
    assert hub.connection_count == 0


async def test_ticket_is_one_time_and_refusals_are_401_json(h: Harness) -> None:
    token = await h.token(EN1)
    t = await ticket(h, token)
    with capture_logs() as logs:
        async with sse(h, params={"ticket": t}) as s:
            assert s.resp.status_code == 200
            assert await s.block() == ["retry: 1234"]
            assert h.nodes[0].hub.connection_count == 1
            status, body = await refused(h, params={"ticket": t})
            assert status == 401 and body["error"]["code"] == "AUTH_REQUIRED"
        for garbage in ("garbage", "", "x" * 5000):
            status, body = await refused(h, params={"ticket": garbage})
            assert status == 401 and body["error"]["code"] == "AUTH_REQUIRED", garbage[:10]
        status, body = await refused(h)
        assert status == 401 and body["error"]["code"] == "AUTH_REQUIRED"
    failures = [e for e in logs if e["event"] == "realtime.auth_failed"]
    assert len(failures) == 5 and {f["transport"] for f in failures} == {"sse"}
    assert not any(token in str(e) or t in str(e) for e in logs)


async def test_expired_ticket_refused(tmp_path: Path) -> None:
    async with node(tmp_path, ticket_ttl_s=0.2) as h:
        t = await ticket(h, await h.token(EN1))
        await asyncio.sleep(0.4)
        status, body = await refused(h, params={"ticket": t})
        assert status == 401 and body["error"]["code"] == "AUTH_REQUIRED"


async def test_ticket_of_a_logged_out_token_is_refused(h: Harness) -> None:
    token = await h.token(EN1)
    t = await ticket(h, token)
    assert (await h.rest("POST", "/auth/logout", token=token)).status_code == 200
    status, body = await refused(h, params={"ticket": t})
    assert status == 401 and body["error"]["code"] == "TOKEN_REVOKED"
    assert (await h.rest("POST", "/realtime/ticket", token=token)).status_code == 401


async def test_ticket_for_a_forbidden_role_is_never_issued(h: Harness) -> None:
    token = await h.token("super-admin.lga-01")
    resp = await h.rest("POST", "/realtime/ticket", token=token)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "FORBIDDEN_ROLE"
    status, body = await refused(h, headers={"Authorization": f"Bearer {token}"})
    assert status == 403 and body["error"]["code"] == "FORBIDDEN_ROLE"


async def test_server_ended_stream_sends_error_event_then_eof(h: Harness) -> None:
    token = await h.token(EN1)
    app = h.nodes[0].server.app
    assert app is not None
    async with sse(h, token) as s:
        await s.block()
        [conn] = sse_server.connections(app)
        conn.close(AppError(ErrorCode.TRANSPORT_UNAVAILABLE, "server restart"))
        end = await s.event()
        assert end["event"] == "error"
        assert json.loads(end["data"]) == {
            "error": {"code": "TRANSPORT_UNAVAILABLE", "message": "server restart", "details": {}},
            "close_code": 4012,
        }
        with pytest.raises(StopAsyncIteration):
            await s.block()
    assert h.nodes[0].hub.connection_count == 0


async def test_logout_ends_stream_with_token_revoked_4001(h: Harness) -> None:
    token = await h.token(EN1)
    async with sse(h, token) as s:
        await s.block()
        assert (await h.rest("POST", "/auth/logout", token=token)).status_code == 200
        end = await s.event(timeout=1.0)
        payload = json.loads(end["data"])
        assert end["event"] == "error" and payload["close_code"] == 4001
        assert payload["error"]["code"] == "TOKEN_REVOKED"


async def test_python_client_labels_sends_sse_and_reconnects_on_same_instance(h: Harness) -> None:
    rec = await h.connect(EN1)
    sup = await h.connect(SUP1)
    await sup.client.send({"broadcast": True, "body": "one", "client_msg_id": "c-1"})
    await rec.wait_for(1)
    metrics = (await h.rest("GET", "/metrics")).text
    assert 'rtspike_messages_total{transport="sse"} 1.0' in metrics
    cursor = rec.client.cursor
    await rec.client.close()
    assert rec.client.close_code == 1000
    await sup.client.send({"broadcast": True, "body": "two", "client_msg_id": "c-2"})
    await rec.client.connect(await h.token(EN1), cursor)
    assert not rec.client.closed.is_set()
    await rec.wait_for(2)
    assert rec.bodies() == ["one", "two"]


async def test_vanished_client_is_detached_without_handler_cancellation(tmp_path: Path) -> None:
    """Production servers (``web.run_app``) do not cancel handlers when a peer disconnects:
    the next write (here a keep-alive) notices and the hub lets go."""
    app = build_app(contract_settings(tmp_path, keepalive_s=0.2), ["sse"])
    runner = web.AppRunner(app, handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.post(
                f"{base}/api/v1/auth/login", json={"login": EN1, "password": DEV_PASSWORD}
            )
            async with open_stream(http, base, resp.json()["access_token"]) as s:
                await s.block()
                assert app[HUB_KEY].connection_count == 1
        for _ in range(50):
            if app[HUB_KEY].connection_count == 0:
                break
            await asyncio.sleep(0.05)
        assert app[HUB_KEY].connection_count == 0
    finally:
        await runner.cleanup()


async def test_cookie_credential_is_httponly_strict_scoped_and_reusable(h: Harness) -> None:
    enum = await h.token(EN1)
    resp = await h.rest("POST", "/realtime/sse-cookie", token=enum)
    assert resp.status_code == 204
    header = resp.headers["set-cookie"]
    assert header.startswith(f"{sse_server.COOKIE}=")
    attrs = {a.strip().split("=")[0].lower(): a for a in header.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= set(attrs)
    assert attrs["path"].strip() == "Path=/realtime/sse"
    assert attrs["samesite"].strip() == "SameSite=Strict"
    assert 0 < int(attrs["max-age"].split("=")[1]) <= 900
    cookie = {"Cookie": f"{sse_server.COOKIE}={enum}"}
    for _ in range(2):  # what EventSource's own retry does: the same credential again
        async with sse(h, headers=cookie) as s:
            assert s.resp.status_code == 200
            assert await s.block() == ["retry: 1234"]


async def test_cookie_needs_a_valid_bearer_and_a_bad_cookie_is_refused(h: Harness) -> None:
    resp = await h.rest("POST", "/realtime/sse-cookie")
    assert resp.status_code == 401 and "set-cookie" not in resp.headers
    status, body = await refused(h, headers={"Cookie": f"{sse_server.COOKIE}=not-a-jwt"})
    assert status == 401 and body["error"]["code"] in ("AUTH_REQUIRED", "TOKEN_EXPIRED")
    enum = await h.token(EN1)
    assert (await h.rest("POST", "/auth/logout", token=enum)).status_code in (200, 204)
    status, body = await refused(h, headers={"Cookie": f"{sse_server.COOKIE}={enum}"})
    assert status == 401 and body["error"]["code"] == "TOKEN_REVOKED"

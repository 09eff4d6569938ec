"""The REST API over a real aiohttp server on loopback (no realtime transport mounted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from rtspike.transports.core.settings import Settings
from rtspike.transports.core.users import DEV_PASSWORD, seed_users
from rtspike.transports.server.app import build_app
from tests.conftest import DEV_HEADERS, DEV_TOKEN, TEST_SECRET


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=10)
        self.users = {u.login: u for u in seed_users(2, 2)}

    async def login(self, login: str) -> dict[str, Any]:
        r = await self.http.post("/auth/login", json={"login": login, "password": DEV_PASSWORD})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        seed_lgas=2,
        seed_enumerators=2,
        max_message_bytes=2048,
    )
    server = TestServer(build_app(settings, transports=[]), host="127.0.0.1")
    await server.start_server()
    client = Api(str(server.make_url("")).rstrip("/"))
    yield client
    await client.http.aclose()
    await server.close()


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], dict)


async def test_login_returns_tokens_and_user(api: Api) -> None:
    body = await api.login("sup.lga-01")
    assert body["token_type"] == "Bearer" and body["access_token"] and body["refresh_token"]
    assert body["user"]["role"] == "supervisor" and body["user"]["lga_id"] == "lga-01"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"login": "sup.lga-01", "password": "wrong"}, 401, "AUTH_REQUIRED"),
        ({"login": "nobody", "password": DEV_PASSWORD}, 401, "AUTH_REQUIRED"),
        ({"login": "sup.lga-01"}, 400, "VALIDATION_ERROR"),
        ({"login": 5, "password": DEV_PASSWORD}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_login_failures(api: Api, payload: dict[str, Any], status: int, code: str) -> None:
    with capture_logs() as logs:
        r = await api.http.post("/auth/login", json=payload)
    assert_error(r, status, code)
    assert all(DEV_PASSWORD not in str(line) for line in logs)


async def test_malformed_json_and_unknown_routes(api: Api) -> None:
    r = await api.http.post(
        "/auth/login", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(r, 400, "VALIDATION_ERROR")
    assert_error(await api.http.get("/nope"), 404, "NOT_FOUND")
    assert_error(await api.http.delete("/auth/login"), 405, "METHOD_NOT_ALLOWED")


async def test_refresh_rotates_and_reuse_is_refused(api: Api) -> None:
    first = await api.login("enum.lga-01.001")
    r = await api.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    reuse = await api.http.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(reuse, 401, "TOKEN_REVOKED")
    # reuse ends the whole session: the rotated-to token dies too
    r = await api.http.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401


async def test_logout_and_revoke_all(api: Api) -> None:
    a = await api.login("enum.lga-01.001")
    b = await api.login("enum.lga-01.001")
    assert (
        await api.http.post("/auth/logout", headers=api.auth(a["access_token"]))
    ).status_code == 200
    assert_error(
        await api.http.get("/messages", headers=api.auth(a["access_token"])), 401, "TOKEN_REVOKED"
    )
    assert (await api.http.get("/messages", headers=api.auth(b["access_token"]))).status_code == 200
    r = await api.http.post("/auth/revoke-all", headers=api.auth(b["access_token"]))
    assert r.status_code == 200
    assert_error(
        await api.http.get("/messages", headers=api.auth(b["access_token"])), 401, "TOKEN_REVOKED"
    )
    c = await api.login("enum.lga-01.001")
    assert (await api.http.get("/messages", headers=api.auth(c["access_token"]))).status_code == 200


async def test_post_and_poll_messages_with_cursor(api: Api) -> None:
    sup = (await api.login("sup.lga-01"))["access_token"]
    enum = (await api.login("enum.lga-01.001"))["access_token"]
    other = (await api.login("enum.lga-02.001"))["access_token"]
    for i in range(3):
        r = await api.http.post(
            "/messages",
            headers=api.auth(sup),
            json={"broadcast": True, "body": f"b{i}", "client_msg_id": f"k{i}"},
        )
        assert r.status_code == 201 and r.json()["message"]["seq"] == i + 1
    replay = await api.http.post(
        "/messages",
        headers=api.auth(sup),
        json={"broadcast": True, "body": "b0", "client_msg_id": "k0"},
    )
    assert replay.json()["message"]["seq"] == 1
    page = (await api.http.get("/messages", headers=api.auth(enum), params={"limit": 2})).json()
    assert [m["body"] for m in page["messages"]] == ["b0", "b1"] and page["has_more"] is True
    rest = (
        await api.http.get("/messages", headers=api.auth(enum), params={"after": page["cursor"]})
    ).json()
    assert [m["body"] for m in rest["messages"]] == ["b2"] and rest["has_more"] is False
    assert (await api.http.get("/messages", headers=api.auth(other))).json()["messages"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"after": "garbage"}, "VALIDATION_ERROR"),
        ({"limit": "0"}, "VALIDATION_ERROR"),
        ({"limit": "abc"}, "VALIDATION_ERROR"),
        ({"limit": "5000"}, "VALIDATION_ERROR"),
    ],
)
async def test_poll_rejects_bad_parameters(api: Api, params: dict[str, str], code: str) -> None:
    enum = (await api.login("enum.lga-01.001"))["access_token"]
    assert_error(await api.http.get("/messages", headers=api.auth(enum), params=params), 400, code)


async def test_send_errors_change_nothing(api: Api) -> None:
    sup = (await api.login("sup.lga-01"))["access_token"]
    enum2 = api.users["enum.lga-02.001"].id
    cases = [
        ({"to": enum2, "body": "x", "client_msg_id": "a"}, 403, "TEAM_BOUNDARY_VIOLATION"),
        ({"broadcast": True, "body": "", "client_msg_id": "a"}, 400, "VALIDATION_ERROR"),
        (
            {"broadcast": True, "to": enum2, "body": "x", "client_msg_id": "a"},
            400,
            "VALIDATION_ERROR",
        ),
        ({"broadcast": True, "body": "x" * 3000, "client_msg_id": "a"}, 413, "PAYLOAD_TOO_LARGE"),
    ]
    for payload, status, code in cases:
        assert_error(
            await api.http.post("/messages", headers=api.auth(sup), json=payload), status, code
        )
    assert_error(await api.http.post("/messages", json={"broadcast": True}), 401, "AUTH_REQUIRED")
    polled = (await api.http.get("/messages", headers=api.auth(sup))).json()
    assert polled["messages"] == []


async def test_ticket_only_for_messaging_roles(api: Api) -> None:
    enum = (await api.login("enum.lga-01.001"))["access_token"]
    r = await api.http.post("/realtime/ticket", headers=api.auth(enum))
    assert r.status_code == 200 and len(r.json()["ticket"]) >= 32 and r.json()["expires_in"] == 30
    admin = (await api.login("super-admin.lga-01"))["access_token"]
    assert_error(
        await api.http.post("/realtime/ticket", headers=api.auth(admin)), 403, "FORBIDDEN_ROLE"
    )


async def test_healthz_and_metrics(api: Api) -> None:
    r = await api.http.get("/healthz")
    assert r.status_code == 200 and r.json()["checks"] == {"store": "ok", "log": "ok", "bus": "ok"}
    sup = (await api.login("sup.lga-01"))["access_token"]
    await api.http.post(
        "/messages",
        headers=api.auth(sup),
        json={"broadcast": True, "body": "m", "client_msg_id": "m1"},
    )
    text = (await api.http.get("/metrics")).text
    assert 'rtspike_messages_total{transport="rest"} 1.0' in text


async def test_dev_faults_block_realtime_routes_but_not_rest(tmp_path: Path) -> None:
    settings = Settings(
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        seed_lgas=1,
        seed_enumerators=1,
        dev_faults=True,
        dev_faults_token=DEV_TOKEN,
    )
    server = TestServer(build_app(settings, transports=[]), host="127.0.0.1")
    await server.start_server()
    api = Api(str(server.make_url("")).rstrip("/"))
    try:
        r = await api.http.post("/dev/faults", json={"realtime_blocked": True}, headers=DEV_HEADERS)
        assert r.status_code == 200 and r.json()["realtime_blocked"] is True
        blocked = await api.http.get(f"{api.base}/realtime/ws")
        assert_error(blocked, 503, "TRANSPORT_UNAVAILABLE")
        assert (await api.http.get("/healthz")).status_code == 200
        assert_error(
            await api.http.post(
                "/dev/faults", json={"realtime_blocked": "yes"}, headers=DEV_HEADERS
            ),
            400,
            "VALIDATION_ERROR",
        )
        await api.http.post("/dev/faults", json={"realtime_blocked": False}, headers=DEV_HEADERS)
        assert_error(await api.http.get(f"{api.base}/realtime/ws"), 404, "NOT_FOUND")
    finally:
        await api.http.aclose()
        await server.close()


async def test_dev_faults_are_off_by_default(api: Api) -> None:
    assert_error(
        await api.http.post("/dev/faults", json={"realtime_blocked": True}), 404, "NOT_FOUND"
    )

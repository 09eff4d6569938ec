"""REST under hostile input: every bad body, query or header is a structured 4xx, nothing is
stored, the server keeps answering, guessing is throttled and nothing internal leaks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from rtspike.transports.core.users import DEV_PASSWORD, SCRYPT, ScryptHasher, UserDirectory
from rtspike.transports.server import demo
from rtspike.transports.server.app import build_app
from rtspike.transports.server.http import HUB_KEY
from tests.api.test_rest import Api, assert_error
from tests.conftest import DEV_HEADERS, DEV_TOKEN
from tests.contract.conftest import contract_settings

SUP = "sup.lga-01"
ENUM = "enum.lga-01.001"


async def _serve(tmp_path: Path, **overrides: Any) -> tuple[TestServer, Api]:
    settings = contract_settings(tmp_path, seed_lgas=2, seed_enumerators=2, **overrides)
    server = TestServer(build_app(settings, transports=[]), host="127.0.0.1")
    await server.start_server()
    return server, Api(str(server.make_url("")).rstrip("/"))


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    server, client = await _serve(tmp_path, dev_faults=True)
    client.server = server  # type: ignore[attr-defined]
    yield client
    await client.http.aclose()
    await server.close()


async def stored(api: Api, token: str) -> list[dict[str, Any]]:
    r = await api.http.get("/messages", headers=api.auth(token))
    assert r.status_code == 200, r.text
    return list(r.json()["messages"])


JSON = {"Content-Type": "application/json"}


DEEP = "[" * 5000 + "]" * 5000
HOSTILE_BODIES = [
    DEEP,
    '{"login": "sup.lga-01", "password": "\\ud800"}',
    '{"login": "\\udfff", "password": "x"}',
    '{"refresh_token": "\\ud800.a.b"}',
    '{"login": ' + "1" * 5000 + "}",
    '{"login": NaN}',
]


@pytest.mark.parametrize("path", ["/auth/login", "/auth/refresh"])
@pytest.mark.parametrize("body", HOSTILE_BODIES)
async def test_hostile_auth_bodies_are_400(api: Api, path: str, body: str) -> None:
    r = await api.http.post(path, content=body.encode(), headers=JSON)
    assert_error(r, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"broadcast": true, "body": "\\ud800", "client_msg_id": "h1"}',
        '{"broadcast": true, "body": "x", "client_msg_id": "h2", "sent_at_ns": ' + "9" * 30 + "}",
        b'{"broadcast": true, "body": "\xff\xfe", "client_msg_id": "h3"}',
    ],
)
async def test_hostile_sends_are_400_and_store_nothing(api: Api, body: str | bytes) -> None:
    token = (await api.login(SUP))["access_token"]
    raw = body.encode() if isinstance(body, str) else body
    r = await api.http.post("/messages", content=raw, headers=api.auth(token))
    assert_error(r, 400, "VALIDATION_ERROR")
    assert await stored(api, token) == []
    assert (await api.login(ENUM))["access_token"]


def _cursor(text: str) -> str:
    return "c1" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "²"},
        {"limit": "\u0661"},
        {"limit": "99999999999999999999999"},
        {"after": _cursor("e|lga:lga-01=²")},
        "after=c1%ED%A0%80",
        "limit=%C2%B2",
    ],
)
async def test_hostile_queries_are_400(api: Api, params: dict[str, str] | str) -> None:
    token = (await api.login(SUP))["access_token"]
    if isinstance(params, str):
        r = await api.http.get(f"/messages?{params}", headers=api.auth(token))
    else:
        r = await api.http.get("/messages", params=params, headers=api.auth(token))
    assert_error(r, 400, "VALIDATION_ERROR")


async def test_json_endpoints_refuse_other_content_types(api: Api) -> None:
    body = json.dumps({"login": SUP, "password": DEV_PASSWORD})
    r = await api.http.post("/auth/login", content=body, headers={"Content-Type": "text/plain"})
    assert_error(r, 400, "VALIDATION_ERROR")


async def test_dev_faults_need_json_and_the_dev_token_or_an_admin(api: Api) -> None:
    body = json.dumps({"realtime_blocked": True})
    simple = {"Content-Type": "text/plain", **DEV_HEADERS}
    assert_error(
        await api.http.post("/dev/faults", content=body, headers=simple), 400, "VALIDATION_ERROR"
    )
    anon = await api.http.post("/dev/faults", json={"realtime_blocked": True})
    assert_error(anon, 401, "AUTH_REQUIRED")
    sup = (await api.login(SUP))["access_token"]
    r = await api.http.post("/dev/faults", json={"realtime_blocked": True}, headers=api.auth(sup))
    assert_error(r, 403, "FORBIDDEN_ROLE")
    wrong = {"X-Rtspike-Dev-Token": DEV_TOKEN + "x"}
    r = await api.http.post("/dev/faults", json={"realtime_blocked": True}, headers=wrong)
    assert_error(r, 401, "AUTH_REQUIRED")
    assert (await api.http.get("/dev/faults")).json()["realtime_blocked"] is False
    admin = (await api.login("super-admin.lga-01"))["access_token"]
    r = await api.http.post("/dev/faults", json={"realtime_blocked": True}, headers=api.auth(admin))
    assert r.status_code == 200 and r.json()["realtime_blocked"] is True
    r = await api.http.post("/dev/faults", json={"realtime_blocked": False}, headers=DEV_HEADERS)
    assert r.status_code == 200 and r.json()["realtime_blocked"] is False


async def test_login_guessing_is_throttled_per_login(api: Api) -> None:
    with capture_logs() as logs:
        for _ in range(5):
            r = await api.http.post("/auth/login", json={"login": SUP, "password": "guess"})
            assert_error(r, 401, "AUTH_REQUIRED")
        right = await api.http.post("/auth/login", json={"login": SUP, "password": DEV_PASSWORD})
    assert_error(right, 429, "RATE_LIMITED")
    assert 1 <= int(right.headers["Retry-After"]) <= 60
    assert right.json()["error"]["details"]["retry_after_s"] > 0
    assert all(SUP not in json.dumps(line) for line in logs), "the login name was logged"
    assert any(line["event"] == "auth.login_failed" and line["login_hash"] for line in logs)
    # another login from the same address is not locked out
    assert (await api.login(ENUM))["access_token"]


async def test_login_guessing_is_throttled_per_client_address(tmp_path: Path) -> None:
    server, api = await _serve(tmp_path, login_failures_per_client=4)
    try:
        for n in range(4):
            r = await api.http.post("/auth/login", json={"login": f"x{n}", "password": "g"})
            assert_error(r, 401, "AUTH_REQUIRED")
        r = await api.http.post("/auth/login", json={"login": SUP, "password": DEV_PASSWORD})
        assert_error(r, 429, "RATE_LIMITED")
        assert "Retry-After" in r.headers
    finally:
        await api.http.aclose()
        await server.close()


async def test_send_rate_is_per_user_not_per_session(tmp_path: Path) -> None:
    server, api = await _serve(tmp_path, send_rate_per_s=0.001, send_burst=3)
    try:
        tokens = [(await api.login(SUP))["access_token"] for _ in range(3)]
        codes = []
        for i in range(6):
            r = await api.http.post(
                "/messages",
                headers=api.auth(tokens[i % 3]),
                json={"broadcast": True, "body": "b", "client_msg_id": f"r{i}"},
            )
            codes.append(r.status_code)
        assert codes == [201, 201, 201, 429, 429, 429]
        assert len(await stored(api, tokens[0])) == 3
    finally:
        await api.http.aclose()
        await server.close()


async def test_metrics_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    server, api = await _serve(tmp_path, metrics_token="metrics-secret-0123")
    try:
        assert_error(await api.http.get("/metrics"), 401, "AUTH_REQUIRED")
        assert (await api.http.get("/metrics", headers=api.auth("metrics-secret-0123"))).is_success
    finally:
        await api.http.aclose()
        await server.close()


async def test_metrics_without_a_token_answer_only_unproxied_loopback(api: Api) -> None:
    assert (await api.http.get("/metrics")).status_code == 200
    proxied = await api.http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert_error(proxied, 401, "AUTH_REQUIRED")


async def test_missing_bundle_error_names_no_path(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "DIST", Path("/nonexistent-dist-dir"))
    r = await api.http.get(f"{api.base}/demo/static/ws.js")
    assert_error(r, 404, "NOT_FOUND")
    assert "/" not in json.dumps(r.json()["error"]["details"])
    assert "nonexistent" not in r.text


async def test_internal_errors_log_once_at_error_without_the_message(api: Api) -> None:
    hub = api.server.app[HUB_KEY]  # type: ignore[attr-defined]

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret-detail-xyz")

    hub.catch_up = broken  # type: ignore[method-assign]
    token = (await api.login(SUP))["access_token"]
    with capture_logs() as logs:
        r = await api.http.get("/messages", headers=api.auth(token))
    assert_error(r, 500, "INTERNAL")
    internal = [line for line in logs if line["event"] == "http.internal_error"]
    assert len(internal) == 1 and internal[0]["log_level"] == "error"
    assert internal[0]["error"] == "RuntimeError" and "secret-detail-xyz" not in json.dumps(logs)
    assert "secret-detail-xyz" not in r.text


def test_non_seed_users_hash_with_scrypt_at_a_real_cost() -> None:
    assert isinstance(SCRYPT, ScryptHasher) and SCRYPT.n >= 2**14 and SCRYPT.r >= 8
    from rtspike.transports.core.principal import Role, UserInfo

    user = UserInfo("u1", "alice", Role.SUPERVISOR, "lga-01")
    directory = UserDirectory([(user, "correct horse")])
    assert directory.check_password("alice", "correct horse") == user
    assert directory.check_password("alice", "wrong") is None
    assert directory.check_password("nobody", "correct horse") is None


async def _closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    """True once the server closes (EOF or reset); what it wrote first is ignored."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_silent_and_trickling_sockets_are_cut_at_the_header_timeout(tmp_path: Path) -> None:
    server, api = await _serve(tmp_path, header_timeout_s=0.5)
    host, port = server.host, server.port
    try:
        silent = [await asyncio.open_connection(host, port) for _ in range(20)]
        trickle_r, trickle_w = await asyncio.open_connection(host, port)
        trickle_w.write(b"GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n")

        async def trickle() -> None:
            for _ in range(40):
                trickle_w.write(b"X")
                await asyncio.sleep(0.1)

        dripping = asyncio.create_task(trickle())
        # meanwhile a normal client is served
        assert (await api.http.get("/healthz")).status_code == 200
        results = await asyncio.gather(
            *(_closed_by_server(r, 5.0) for r, _ in silent), _closed_by_server(trickle_r, 5.0)
        )
        dripping.cancel()
        assert all(results), f"{results.count(False)} sockets still open after 5 s"
        for _, w in [*silent, (trickle_r, trickle_w)]:
            w.close()
        # on a new connection: the one above idles past the header timeout, and reusing a
        # keep-alive socket the server is closing is a client race, not a server fault
        fresh = Api(api.base)
        try:
            assert (await fresh.login(SUP))["access_token"]
        finally:
            await fresh.http.aclose()
    finally:
        await api.http.aclose()
        await server.close()

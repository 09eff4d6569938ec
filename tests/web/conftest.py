"""A real server (REST + every transport + the demo page, dev faults on) for browser tests, and
one Chromium for all of them.

The browser tests here run on the session's event loop (``LOOP`` in each module's marks) so
that they can share one launched Chromium: a launch (Playwright's driver plus the browser)
costs 1-2 s, and each test opens its own page, which Playwright gives its own context
(cookies, storage), so no test sees another's state. Their async fixtures run on that loop
too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from rtspike.transports.core.ids import new_id
from rtspike.transports.core.users import DEV_PASSWORD, seed_users
from rtspike.transports.server.app import build_app
from rtspike.transports.server.demo import DIST, bundles, react_bundles
from tests.conftest import DEV_HEADERS, chromium
from tests.contract.conftest import ENUMERATORS, LGAS, contract_settings


def built_bundles() -> dict[str, Any]:
    """dist/meta.json after checking every bundle exists; fails (never skips) when missing."""
    meta_path = DIST / "meta.json"
    missing = [
        f"{n}.js" for n in (*bundles(), *react_bundles()) if not (DIST / f"{n}.js").is_file()
    ]
    if missing or not meta_path.is_file():
        pytest.fail(
            f"demo bundles missing in {DIST} ({', '.join(missing) or 'meta.json'}): "
            "run `make web` (scripts/build-web.sh) before the browser tests"
        )
    meta: dict[str, Any] = json.loads(meta_path.read_text())
    return meta


@dataclass
class DemoServer:
    server: TestServer
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def user_id(self, login: str) -> str:
        return next(u.id for u in seed_users(LGAS, ENUMERATORS) if u.login == login)

    async def token(self, login: str) -> str:
        resp = await self.http.post(
            f"{self.url}/api/v1/auth/login", json={"login": login, "password": DEV_PASSWORD}
        )
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    async def send(self, token: str, body: str, to: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"body": body, "client_msg_id": new_id()}
        message.update({"to": to} if to else {"broadcast": True})
        resp = await self.http.post(
            f"{self.url}/api/v1/messages",
            json=message,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 201, resp.text
        event: dict[str, Any] = resp.json()["message"]
        return event

    async def bodies_seen_by(self, token: str) -> list[str]:
        resp = await self.http.get(
            f"{self.url}/api/v1/messages",
            params={"limit": "1000"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 200, resp.text
        return [m["body"] for m in resp.json()["messages"]]

    async def block(self, blocked: bool) -> None:
        resp = await self.http.post(
            f"{self.url}/api/v1/dev/faults",
            json={"realtime_blocked": blocked},
            headers=DEV_HEADERS,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["realtime_blocked"] is blocked


async def start_demo(data_dir: Path, **overrides: Any) -> DemoServer:
    built_bundles()
    app = build_app(contract_settings(data_dir, dev_faults=True, **overrides))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return DemoServer(server, httpx.AsyncClient(timeout=10.0))


LOOP = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[object]:
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture(loop_scope="session")
async def demo_server(tmp_path: Path) -> AsyncIterator[DemoServer]:
    demo = await start_demo(tmp_path / "node")
    yield demo
    await demo.http.aclose()
    await demo.server.close()


@pytest_asyncio.fixture(loop_scope="session")
async def short_token_server(tmp_path: Path) -> AsyncIterator[DemoServer]:
    """Access tokens live 1 s: live connections end with 4001 and the page must refresh."""
    demo = await start_demo(tmp_path / "node", access_ttl_s=1.0)
    yield demo
    await demo.http.aclose()
    await demo.server.close()

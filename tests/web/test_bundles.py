"""The build produced every bundle with real sizes, and the demo routes serve them (or say how
to build them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from rtspike.transports import registry
from rtspike.transports.server import demo
from rtspike.transports.server.app import build_app
from tests.contract.conftest import contract_settings
from tests.web.conftest import built_bundles

Client = TestClient[web.Request, web.Application]


def test_build_made_every_bundle_and_meta_sizes() -> None:
    meta = built_bundles()
    bundles = meta["bundles"]
    assert sorted(bundles) == sorted(demo.bundles()) == sorted(["baseline", *registry.names()])
    for name, info in bundles.items():
        size = (demo.DIST / f"{name}.js").stat().st_size
        assert info["bytes"] == size > 0, name
        assert 0 < info["gzip_bytes"] < size
        assert info["over_baseline_bytes"] == size - bundles["baseline"]["bytes"]
    base = bundles["baseline"]["bytes"]
    assert all(bundles[t]["bytes"] > base for t in ("socketio", "sse", "ws"))
    assert meta["dependencies"]["socket.io-client"] == "4.8.4"


def test_socketio_bundle_contains_the_npm_client() -> None:
    built_bundles()
    text = (demo.DIST / "socketio.js").read_text()
    assert "EIO" in text and "message:send" in text
    assert "EIO" not in (demo.DIST / "ws.js").read_text()


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    app = build_app(contract_settings(tmp_path / "node"), ["ws"])
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_demo_page_and_bundle_routes(client: Client) -> None:
    built_bundles()
    page = await client.get("/demo")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'id="status"' in await page.text()
    js = await client.get("/demo/static/ws.js")
    assert js.status == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert len(await js.read()) == (demo.DIST / "ws.js").stat().st_size
    meta = await client.get("/demo/static/meta.json")
    assert (await meta.json())["bundles"]["ws"]["bytes"] > 0
    for bad in ("other.js", "..%2Fdemo.html", "ws.css"):
        resp = await client.get(f"/demo/static/{bad}")
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "NOT_FOUND"


async def test_missing_bundle_says_how_to_build(
    client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo, "DIST", tmp_path / "no-dist")
    resp = await client.get("/demo/static/sse.js")
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]["code"] == "NOT_FOUND"
    assert "make web" in body["error"]["message"]
    assert body["error"]["details"]["bundle"] == "sse.js"

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
    assert sorted(demo.bundles()) == sorted(["baseline", *registry.names()])
    assert sorted(bundles) == sorted((*demo.bundles(), *demo.react_bundles()))
    for name, info in bundles.items():
        size = (demo.DIST / f"{name}.js").stat().st_size
        base = bundles[info["baseline"]]
        assert info["bytes"] == size > 0, name
        assert 0 < info["brotli_bytes"] < info["gzip_bytes"] < size
        assert info["over_baseline_bytes"] == size - base["bytes"]
        assert info["over_baseline_gzip_bytes"] == info["gzip_bytes"] - base["gzip_bytes"]
    for t in ("socketio", "sse", "ws"):
        assert bundles[t]["baseline"] == "baseline"
        assert bundles[f"react-{t}"]["baseline"] == "react-baseline"
        assert bundles[t]["over_baseline_gzip_bytes"] > 0
        assert bundles[f"react-{t}"]["over_baseline_gzip_bytes"] > 0
    assert meta["dependencies"]["socket.io-client"] == "4.8.4"
    assert meta["dependencies"]["react"] == meta["dependencies"]["react-dom"] == "18.3.1"


def test_react_bundles_hold_react_18_and_the_hook_only_where_built_with_it() -> None:
    built_bundles()
    baseline = (demo.DIST / "react-baseline.js").read_text()
    assert "18.3.1" in baseline  # React stamps its version into the production build
    assert "/realtime/ws" not in baseline and "EIO" not in baseline
    assert "/realtime/ws" in (demo.DIST / "react-ws.js").read_text()
    assert "EIO" in (demo.DIST / "react-socketio.js").read_text()
    assert "EIO" not in (demo.DIST / "react-sse.js").read_text()


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


def test_react_hook_entry_builds_with_esbuild(tmp_path: Path) -> None:
    """The hook bundles from source with the project's esbuild (not just a stale dist/)."""
    import subprocess

    web = demo.DIST.parent
    esbuild = web / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        pytest.fail("esbuild missing: run `make web` (npm ci in transports/web)")
    out = tmp_path / "react-ws.js"
    done = subprocess.run(
        [
            str(esbuild),
            demo.entries()["react-ws"]["src"],
            "--bundle",
            "--minify",
            "--jsx=automatic",
            '--define:process.env.NODE_ENV="production"',
            f"--outfile={out}",
            "--log-level=warning",
        ],
        cwd=web,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "useRealtimeConnection" not in text  # minified: names gone, the code is there
    assert "/realtime/ws" in text and "18.3.1" in text

"""The bundle case measures the plain and the React 18 page per transport, and each row's note
names only the npm packages that transport's bundle pulls in, at their locked versions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from rtspike.scenarios.cases import bundle
from rtspike.scenarios.results import Results
from tests.web.conftest import built_bundles


def test_locked_versions_are_exact_for_browser_and_node_server_packages() -> None:
    locked = bundle.locked_versions()
    for name in ("react", "react-dom", "socket.io-client", "socket.io", "ws"):
        assert locked[name][0].isdigit(), name
    assert locked["react"] == locked["react-dom"] == "18.3.1"


def test_only_socketio_pulls_an_npm_package_into_the_browser() -> None:
    assert bundle.browser_packages("socketio") == ["socket.io-client"]
    assert bundle.browser_packages("sse") == []
    assert bundle.browser_packages("ws") == []


@pytest.mark.parametrize("transport", ["socketio", "sse", "ws"])
async def test_run_records_react_added_bytes_and_per_transport_notes(transport: str) -> None:
    built_bundles()
    ctx: Any = SimpleNamespace(results=Results())
    await bundle.run(ctx, transport)
    rows = {r.metric: r for r in ctx.results.metrics}
    assert rows["react_gzip_added_bytes"].value > 0
    assert rows["react_brotli_added_bytes"].value < rows["react_gzip_added_bytes"].value
    assert rows["gzip_added_bytes"].value > 0
    assert rows["react_gzip_added_bytes"].note.startswith("react 18.3.1, react-dom 18.3.1")
    if transport == "socketio":
        assert "socket.io-client 4.8.4" in rows["gzip_bytes"].note
    else:
        assert "socket.io-client" not in rows["gzip_bytes"].note
        assert "no npm package" in rows["gzip_bytes"].note

"""One real single-transport server per test; the transport is the test's folder name
(tests/transports/<name>/). Pass settings overrides with ``indirect`` parametrization."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.contract.conftest import Harness, Node, contract_settings, start_node


@pytest.fixture
def transport_name(request: pytest.FixtureRequest) -> str:
    return str(request.path.parent.name)


@pytest.fixture
async def node(
    tmp_path: Path, request: pytest.FixtureRequest, transport_name: str
) -> AsyncIterator[Node]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    n = await start_node(contract_settings(tmp_path / "node", **overrides), transport_name)
    yield n
    await n.server.close()


@pytest.fixture
async def harness(node: Node, transport_name: str) -> AsyncIterator[Harness]:
    h = Harness(transport_name, [node])
    yield h
    await h.aclose()

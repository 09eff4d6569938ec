"""Every transport's client raises our exception types only: library and built-in errors are
mapped at the adapter edge (``clients/base.py mapped_errors``)."""

from __future__ import annotations

import pytest

from rtspike.scenarios.processes import free_port
from rtspike.transports import registry
from rtspike.transports.clients.base import ClientError, ConnectionClosed, ConnectionFailed
from rtspike.transports.core.errors import RtspikeError
from rtspike.transports.spec import Upstream
from tests.contract.conftest import Harness

EN1 = "enum.lga-01.001"


async def test_connecting_to_nothing_raises_connection_failed(transport: str) -> None:
    client = registry.client(transport)(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ConnectionFailed) as info:
            await client.connect("any-token")
    finally:
        await client.close()
    assert isinstance(info.value, RtspikeError)
    assert not isinstance(info.value, ConnectionError | RuntimeError | OSError)
    assert "any-token" not in str(info.value)


SOCKET_UPSTREAM = [n for n in registry.names() if registry.spec(n).upstream is Upstream.SOCKET]


@pytest.mark.parametrize("transport", SOCKET_UPSTREAM)
async def test_sending_on_a_closed_client_raises_connection_closed(harness: Harness) -> None:
    """Only where sends share the socket: a REST upstream (SSE) sends without the stream."""
    rec = await harness.connect(EN1)
    await rec.client.close()
    with pytest.raises(ConnectionClosed) as info:
        await rec.client.send({"broadcast": True, "body": "late", "client_msg_id": "late-1"})
    assert isinstance(info.value, ClientError)

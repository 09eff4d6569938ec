"""When the server ends a live connection, every transport's client learns the same error code.

Logout, revoke-all and expiry share one close code (4001: reconnect with a new token); which of
them it was travels as data beside the close. A logout says TOKEN_REVOKED (not the bare close
code's default, TOKEN_EXPIRED), so these tests fail on any transport that drops that data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rtspike.transports.core.errors import CloseCode, ErrorCode
from tests.contract.conftest import Harness, contract_settings, running

EN1 = "enum.lga-01.001"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/auth/logout", ErrorCode.TOKEN_REVOKED), ("/auth/revoke-all", ErrorCode.TOKEN_REVOKED)],
)
async def test_revocation_reaches_the_client_with_its_error_code(
    harness: Harness, path: str, expected: ErrorCode
) -> None:
    token = await harness.token(EN1)
    rec = await harness.connect(EN1, token=token)
    assert (await harness.rest("POST", path, token=token)).status_code == 200
    assert await rec.wait_closed(timeout=3.0) == CloseCode.TOKEN_EXPIRED
    assert rec.client.close_error == expected
    assert token not in rec.client.close_reason


async def test_expiry_reaches_the_client_as_token_expired(transport: str, tmp_path: Path) -> None:
    async with running(transport, contract_settings(tmp_path, access_ttl_s=1.5)) as harness:
        rec = await harness.connect(EN1)
        assert await rec.wait_closed(timeout=4.0) == CloseCode.TOKEN_EXPIRED
        assert rec.client.close_error == ErrorCode.TOKEN_EXPIRED


async def test_server_restart_reaches_the_client_as_transport_unavailable(
    harness: Harness,
) -> None:
    rec = await harness.connect(EN1)
    await harness.nodes[0].hub.stop()
    assert await rec.wait_closed(timeout=4.0) == CloseCode.SERVER_RESTART
    assert rec.client.close_error == ErrorCode.TRANSPORT_UNAVAILABLE

"""core/live.py decisions that the hub tests reach only indirectly: which connections a bus
announcement ends and with which code, that a detached connection gets nothing more, and that
a re-verification refusal ends the connection."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rtspike.transports.core import live
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.hub import Hub
from rtspike.transports.core.principal import Principal
from tests.core.test_hub import FakeConn, bcast, hub, principal, settle

__all__ = ["hub"]  # the fixture, shared with test_hub.py


async def two_sessions(hub: Hub) -> tuple[FakeConn, FakeConn]:
    a = FakeConn(await principal(hub, "enum.lga-01.001"))
    b = FakeConn(await principal(hub, "enum.lga-01.001"))
    for conn in (a, b):
        await hub.attach(conn, None)
    await settle()
    return a, b


async def test_a_logout_ends_only_its_session_with_token_revoked(hub: Hub) -> None:
    a, b = await two_sessions(hub)
    p = a.principal
    hub.live.revoke_matching({"kind": "session", "user_id": p.user_id, "sid": p.session_id})
    assert a.ended_by.code is ErrorCode.TOKEN_REVOKED
    assert b.closed is None and hub.connection_count == 1


async def test_a_session_that_ended_by_itself_asks_for_a_new_login(hub: Hub) -> None:
    a, _ = await two_sessions(hub)
    p = a.principal
    hub.live.revoke_matching(
        {"kind": "session", "user_id": p.user_id, "sid": p.session_id, "reason": "inactive"}
    )
    assert a.ended_by.code is ErrorCode.SESSION_EXPIRED


async def test_revoke_all_ends_tokens_issued_before_it_only(hub: Hub) -> None:
    a, b = await two_sessions(hub)
    before = max(a.principal.iat, b.principal.iat) + 0.001
    hub.live.revoke_matching({"kind": "user", "user_id": a.principal.user_id, "before": before})
    assert a.ended_by.code is b.ended_by.code is ErrorCode.TOKEN_REVOKED
    other = FakeConn(await principal(hub, "enum.lga-01.002"))
    await hub.attach(other, None)
    hub.live.revoke_matching({"kind": "user", "user_id": a.principal.user_id, "before": 1e12})
    assert other.closed is None, "another user's connection was ended"


async def test_a_detached_connection_receives_nothing_more(hub: Hub) -> None:
    a, b = await two_sessions(hub)
    hub.detach(a)
    hub.detach(a)  # idempotent
    sup = await principal(hub, "sup.lga-01")
    await hub.send(sup, bcast("after"), "fake")
    await settle()
    assert [e.body for e in b.events] == ["after"]
    assert a.events == [] and hub.connection_count == 1


async def test_recheck_ends_what_verification_refuses(hub: Hub) -> None:
    a, b = await two_sessions(hub)

    async def verify(ps: Sequence[Principal]) -> list[AppError | None]:
        expired = AppError(ErrorCode.TOKEN_EXPIRED, "expired")
        return [expired if p.session_id == a.principal.session_id else None for p in ps]

    await hub.live.recheck(verify)
    assert a.ended_by.code is ErrorCode.TOKEN_EXPIRED
    assert b.closed is None


async def test_recheck_asks_in_chunks_and_a_failed_chunk_does_not_stop_the_rest(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "RECHECK_CHUNK", 2)
    conns = [FakeConn(await principal(hub, "enum.lga-01.001")) for _ in range(5)]
    for conn in conns:
        await hub.attach(conn, None)
    await settle()
    asked: list[int] = []

    async def verify(ps: Sequence[Principal]) -> list[AppError | None]:
        asked.append(len(ps))
        if len(asked) == 1:
            raise RuntimeError("store down for a moment")
        return [AppError(ErrorCode.TOKEN_REVOKED, "revoked")] * len(ps)

    await hub.live.recheck(verify)
    assert asked == [2, 2, 1]
    ended = [c for c in conns if c.closed is not None]
    assert len(ended) == 3 and hub.connection_count == 2
    assert all(c.ended_by.code is ErrorCode.TOKEN_REVOKED for c in ended)

"""The one auth function: every step's refusal with its code, and the token life cycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from rtspike.transports.core.auth import Authenticator, TokenPair
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.principal import Role
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.store.memory import MemoryStore
from rtspike.transports.core.tokens import TokenService
from rtspike.transports.core.users import DEV_PASSWORD, UserDirectory, dev_directory
from tests.conftest import TEST_SECRET, FakeClock

SUP = "sup.lga-01"
ENUM = "enum.lga-01.001"
INACTIVITY = 100.0
ABSOLUTE = 1000.0


@pytest.fixture
def auth_settings(data_dir: Path) -> Settings:
    return Settings.model_validate(
        {
            "jwt_secret": TEST_SECRET,
            "data_dir": data_dir,
            "access_ttl_s": 300,
            "refresh_ttl_s": 5000,
            "session_inactivity_s": INACTIVITY,
            "session_absolute_s": ABSOLUTE,
            "ticket_ttl_s": 30,
        }
    )


@pytest.fixture
def users() -> UserDirectory:
    return dev_directory(2, 3)


@pytest.fixture
async def store() -> MemoryStore:
    s = MemoryStore()
    await s.start()
    return s


@pytest.fixture
def auth(
    auth_settings: Settings, store: MemoryStore, users: UserDirectory, clock: FakeClock
) -> Authenticator:
    return Authenticator(auth_settings, TokenService(auth_settings, clock), store, users, clock)


async def refused(coro: object, code: ErrorCode) -> AppError:
    with pytest.raises(AppError) as info:
        await coro  # type: ignore[misc]
    assert info.value.code is code, info.value
    return info.value


async def test_login_returns_a_pair_that_verifies(auth: Authenticator) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    body = pair.to_dict()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    assert body["user"]["login"] == SUP and body["user"]["role"] == "supervisor"
    assert set(body["user"]) == {"id", "login", "role", "lga_id", "display_name"}
    p = await auth.verify_token_full(pair.access_token)
    assert (p.user_id, p.role, p.lga_id) == (pair.user.id, Role.SUPERVISOR, "lga-01")
    assert (await auth.verify_token_full(f"Bearer {pair.access_token}")) == p
    assert (await auth.verify_token_full(f"bearer  {pair.access_token}")) == p


@pytest.mark.parametrize(
    ("login", "password"),
    [
        (SUP, "wrong"),
        ("nobody", DEV_PASSWORD),
        (SUP, ""),
        ("", ""),
    ],
)
async def test_login_failures_share_one_message(
    auth: Authenticator, login: str, password: str
) -> None:
    with capture_logs() as logs:
        err = await refused(auth.login(login, password), ErrorCode.AUTH_REQUIRED)
    assert err.message == "invalid login or password"
    assert [e["event"] for e in logs] == ["auth.login_failed"]
    assert password not in str(logs) or password == ""


@pytest.mark.parametrize("value", [None, "", "Bearer", "Bearer ", "Basic abc", "a b c"])
async def test_step1_missing_or_malformed_header(auth: Authenticator, value: str | None) -> None:
    await refused(auth.verify_token_full(value), ErrorCode.AUTH_REQUIRED)


async def test_step2_refresh_token_is_not_an_access_token(auth: Authenticator) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    await refused(auth.verify_token_full(pair.refresh_token), ErrorCode.AUTH_REQUIRED)


async def test_step2_expired_access_token(auth: Authenticator, clock: FakeClock) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    for _ in range(5):
        clock.advance(50)
        await auth.verify_token_full(pair.access_token)
    clock.advance(50)
    await refused(auth.verify_token_full(pair.access_token), ErrorCode.TOKEN_EXPIRED)


async def test_step3_blacklisted_after_logout(auth: Authenticator) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    with capture_logs() as logs:
        await auth.logout(p)
    await refused(auth.verify_token_full(pair.access_token), ErrorCode.TOKEN_REVOKED)
    await refused(auth.refresh(pair.refresh_token), ErrorCode.TOKEN_REVOKED)
    assert logs[0]["event"] == "auth.logout" and logs[0]["user"] == p.user_id
    assert pair.access_token not in str(logs)


async def test_step4_revoke_all_then_new_login_works(auth: Authenticator, clock: FakeClock) -> None:
    first = await auth.login(SUP, DEV_PASSWORD)
    other_device = await auth.login(SUP, DEV_PASSWORD)
    clock.advance(0.001)
    p = await auth.verify_token_full(first.access_token)
    ts = await auth.revoke_all(p)
    assert ts == clock.now
    for pair in (first, other_device):
        await refused(auth.verify_token_full(pair.access_token), ErrorCode.TOKEN_REVOKED)
        await refused(auth.refresh(pair.refresh_token), ErrorCode.TOKEN_REVOKED)
    fresh = await auth.login(SUP, DEV_PASSWORD)
    assert (await auth.verify_token_full(fresh.access_token)).user_id == p.user_id
    enum = await auth.login(ENUM, DEV_PASSWORD)
    await auth.verify_token_full(enum.access_token)


async def test_step5_missing_session(auth: Authenticator, store: MemoryStore) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    await store.end_session(p.session_id)
    await refused(auth.verify_token_full(pair.access_token), ErrorCode.SESSION_EXPIRED)


async def test_step5_inactivity(auth: Authenticator, clock: FakeClock) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    clock.advance(INACTIVITY + 0.5)
    err = await refused(auth.verify_token_full(pair.access_token), ErrorCode.SESSION_EXPIRED)
    assert err.details["reason"] == "inactive"


async def test_step5_touch_keeps_an_active_session_alive(
    auth: Authenticator, store: MemoryStore, clock: FakeClock
) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    created = clock.now
    for _ in range(8):
        clock.advance(INACTIVITY * 0.6)
        pair = await auth.refresh(pair.refresh_token) if clock.now - created > 250 else pair
        p = await auth.verify_token_full(pair.access_token)
    session = await store.get_session(p.session_id)
    assert session is not None and session.last_seen == clock.now
    assert clock.now - created > INACTIVITY * 4


async def test_step5_touch_is_throttled(
    auth: Authenticator, store: MemoryStore, clock: FakeClock
) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    first = clock.now
    clock.advance(INACTIVITY / 10 - 1)
    await auth.verify_token_full(pair.access_token)
    assert (await store.get_session(p.session_id)).last_seen == first  # type: ignore[union-attr]
    clock.advance(1)
    await auth.verify_token_full(pair.access_token)
    assert (await store.get_session(p.session_id)).last_seen == clock.now  # type: ignore[union-attr]


async def test_step5_absolute_timeout(auth: Authenticator, clock: FakeClock) -> None:
    pair = await auth.login(SUP, DEV_PASSWORD)
    while clock.now < 1_800_000_000.0 + ABSOLUTE - 60:
        clock.advance(60)
        pair = await auth.refresh(pair.refresh_token)
        await auth.verify_token_full(pair.access_token)
    clock.advance(61)
    # No access token outlives its session: the last one expired at the absolute limit.
    await refused(auth.verify_token_full(pair.access_token), ErrorCode.TOKEN_EXPIRED)
    err = await refused(auth.refresh(pair.refresh_token), ErrorCode.SESSION_EXPIRED)
    assert err.details["reason"] == "absolute timeout"


async def test_user_removed_from_directory(
    auth_settings: Settings, store: MemoryStore, clock: FakeClock, users: UserDirectory
) -> None:
    full = Authenticator(auth_settings, TokenService(auth_settings, clock), store, users, clock)
    pair = await full.login(SUP, DEV_PASSWORD)
    shrunk = UserDirectory((u, DEV_PASSWORD) for u in users if u.login != SUP)
    other = Authenticator(auth_settings, TokenService(auth_settings, clock), store, shrunk, clock)
    await refused(other.verify_token_full(pair.access_token), ErrorCode.AUTH_REQUIRED)


async def test_refresh_rotates_within_the_same_session(auth: Authenticator) -> None:
    pair = await auth.login(ENUM, DEV_PASSWORD)
    p1 = await auth.verify_token_full(pair.access_token)
    with capture_logs() as logs:
        rotated = await auth.refresh(pair.refresh_token)
    assert isinstance(rotated, TokenPair)
    assert rotated.refresh_token != pair.refresh_token
    p2 = await auth.verify_token_full(rotated.access_token)
    assert p2.session_id == p1.session_id and p2.jti != p1.jti
    assert logs[0]["event"] == "auth.refresh" and logs[0]["role"] == "enumerator"
    again = await auth.refresh(rotated.refresh_token)
    await auth.verify_token_full(again.access_token)


async def test_refresh_reuse_kills_the_whole_family(auth: Authenticator) -> None:
    pair = await auth.login(ENUM, DEV_PASSWORD)
    rotated = await auth.refresh(pair.refresh_token)
    await auth.verify_token_full(rotated.access_token)
    with capture_logs() as logs:
        err = await refused(auth.refresh(pair.refresh_token), ErrorCode.TOKEN_REVOKED)
    assert err.details["reason"] == "reused"
    assert [e["event"] for e in logs] == ["auth.refresh_reused", "auth.session_ended"]
    await refused(auth.verify_token_full(rotated.access_token), ErrorCode.SESSION_EXPIRED)
    await refused(auth.verify_token_full(pair.access_token), ErrorCode.SESSION_EXPIRED)
    await refused(auth.refresh(rotated.refresh_token), ErrorCode.TOKEN_REVOKED)


async def test_refresh_unknown_or_garbage(
    auth: Authenticator, auth_settings: Settings, users: UserDirectory, clock: FakeClock
) -> None:
    sup = users.by_login(SUP)
    assert sup is not None
    never_stored, _ = TokenService(auth_settings, clock).issue_refresh(sup, "no-session")
    await refused(auth.refresh(never_stored), ErrorCode.TOKEN_REVOKED)
    await refused(auth.refresh("garbage"), ErrorCode.AUTH_REQUIRED)
    pair = await auth.login(SUP, DEV_PASSWORD)
    await refused(auth.refresh(pair.access_token), ErrorCode.AUTH_REQUIRED)


async def test_logout_kills_refresh_and_spares_other_sessions(auth: Authenticator) -> None:
    a = await auth.login(SUP, DEV_PASSWORD)
    b = await auth.login(SUP, DEV_PASSWORD)
    await auth.logout(await auth.verify_token_full(a.access_token))
    await refused(auth.refresh(a.refresh_token), ErrorCode.TOKEN_REVOKED)
    await auth.verify_token_full(b.access_token)
    await auth.refresh(b.refresh_token)


async def test_ticket_is_one_time(auth: Authenticator) -> None:
    pair = await auth.login(ENUM, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    ticket = await auth.issue_ticket(p)
    assert len(ticket) >= 40 and pair.access_token not in ticket
    assert await auth.redeem_ticket(ticket) == p
    err = await refused(auth.redeem_ticket(ticket), ErrorCode.AUTH_REQUIRED)
    assert ticket not in str(err.to_dict())


@pytest.mark.parametrize("ticket", [None, "", "nope", "x" * 10_000])
async def test_bad_tickets(auth: Authenticator, ticket: str | None) -> None:
    await refused(auth.redeem_ticket(ticket), ErrorCode.AUTH_REQUIRED)


async def test_ticket_expires(auth: Authenticator, clock: FakeClock) -> None:
    p = await auth.verify_token_full((await auth.login(ENUM, DEV_PASSWORD)).access_token)
    ticket = await auth.issue_ticket(p)
    clock.advance(30)
    await refused(auth.redeem_ticket(ticket), ErrorCode.AUTH_REQUIRED)


async def test_ticket_of_a_logged_out_token_is_refused(auth: Authenticator) -> None:
    p = await auth.verify_token_full((await auth.login(ENUM, DEV_PASSWORD)).access_token)
    ticket = await auth.issue_ticket(p)
    await auth.logout(p)
    await refused(auth.redeem_ticket(ticket), ErrorCode.TOKEN_REVOKED)


async def test_verify_principal_rechecks_live_connections(
    auth: Authenticator, clock: FakeClock
) -> None:
    pair = await auth.login(ENUM, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    await auth.verify_principal(p)
    clock.advance(0.001)
    await auth.revoke_all(p)
    await refused(auth.verify_principal(p), ErrorCode.TOKEN_REVOKED)


async def test_login_and_revoke_logs_carry_user_fields_and_no_secrets(auth: Authenticator) -> None:
    with capture_logs() as logs:
        pair = await auth.login(SUP, DEV_PASSWORD)
        p = await auth.verify_token_full(pair.access_token)
        await auth.revoke_all(p)
    events = {e["event"]: e for e in logs}
    assert set(events) == {"auth.login", "auth.revoke_all"}
    for e in events.values():
        assert (e["user"], e["role"], e["lga"]) == (p.user_id, "supervisor", "lga-01")
    text = str(logs)
    assert pair.access_token not in text and pair.refresh_token not in text
    assert DEV_PASSWORD not in text


async def test_verify_principals_judges_each_like_verify_principal(
    auth: Authenticator, clock: FakeClock
) -> None:
    """The live re-check's batch gives every principal the refusal the single check gives."""
    ok = await auth.verify_token_full((await auth.login(SUP, DEV_PASSWORD)).access_token)
    out = await auth.verify_token_full((await auth.login(ENUM, DEV_PASSWORD)).access_token)
    await auth.logout(out)
    revoked = await auth.verify_token_full((await auth.login(ENUM, DEV_PASSWORD)).access_token)
    clock.advance(0.001)
    await auth.revoke_all(revoked)
    batch = [ok, out, revoked, ok]
    got = await auth.verify_principals(batch)
    assert [r.code if r else None for r in got] == [
        None,
        ErrorCode.TOKEN_REVOKED,
        ErrorCode.TOKEN_REVOKED,
        None,
    ]
    assert [r.details.get("reason") if r else None for r in got] == [
        None,
        "logged out",
        "revoked",
        None,
    ]
    for p, refusal in zip(batch, got, strict=True):
        if refusal is None:
            await auth.verify_principal(p)
        else:
            err = await refused(auth.verify_principal(p), refusal.code)
            assert err.details == refusal.details


async def test_verify_principals_ends_a_shared_idle_session_once(
    auth: Authenticator, clock: FakeClock
) -> None:
    pair = await auth.login(ENUM, DEV_PASSWORD)
    p = await auth.verify_token_full(pair.access_token)
    announced: list[dict[str, object]] = []

    async def announce(msg: dict[str, object]) -> None:
        announced.append(msg)

    auth.announce = announce
    clock.advance(INACTIVITY + 0.5)
    got = await auth.verify_principals([p, p, p])
    assert [r.code if r else None for r in got] == [ErrorCode.SESSION_EXPIRED] * 3
    assert all(r and r.details["reason"] == "inactive" for r in got)
    assert [m["reason"] for m in announced] == ["inactive"]


async def test_verify_principals_touches_each_live_session_once_per_interval(
    auth: Authenticator, store: MemoryStore, clock: FakeClock
) -> None:
    a = await auth.verify_token_full((await auth.login(SUP, DEV_PASSWORD)).access_token)
    b = await auth.verify_token_full((await auth.login(ENUM, DEV_PASSWORD)).access_token)
    clock.advance(INACTIVITY * 0.6)
    assert await auth.verify_principals([a, b, a]) == [None, None, None]
    for p in (a, b):
        session = await store.get_session(p.session_id)
        assert session is not None and session.last_seen == clock.now
    clock.advance(INACTIVITY * 0.6)
    assert await auth.verify_principals([a, b]) == [None, None], "touched sessions stay alive"

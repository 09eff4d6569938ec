"""Steps 1-2 of auth: a table of hostile tokens, each refused with its exact code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.principal import Role, UserInfo
from rtspike.transports.core.settings import Settings
from rtspike.transports.core.tokens import MAX_TOKEN_CHARS, TokenService
from tests.conftest import TEST_SECRET, FakeClock

USER = UserInfo("0190a000-0000-7000-8000-000000000001", "sup.lga-01", Role.SUPERVISOR, "lga-01")
FAKE_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END PUBLIC KEY-----\n"
)

AUTH = ErrorCode.AUTH_REQUIRED
EXPIRED = ErrorCode.TOKEN_EXPIRED


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def craft(
    header: dict[str, Any], claims: dict[str, Any], key: bytes | None, alg: str = "sha256"
) -> str:
    """Build a JWS by hand, so the table can hold tokens PyJWT itself would refuse to make."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    sig = hmac.new(key, signing_input.encode(), getattr(hashlib, alg)).digest()
    return f"{signing_input}.{b64(sig)}"


@pytest.fixture
def svc(settings: Settings, clock: FakeClock) -> TokenService:
    return TokenService(settings, clock=clock)


def good_claims(svc: TokenService, **changes: Any) -> dict[str, Any]:
    _, claims = svc.issue_access(USER, "session-1")
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()
HS256 = {"alg": "HS256", "typ": "JWT"}
KEY = TEST_SECRET.encode()


def signed(**changes: Any) -> Callable[[TokenService], str]:
    return lambda s: craft(HS256, good_claims(s, **changes), KEY)


def tamper_payload(s: TokenService) -> str:
    token, _ = s.issue_access(USER, "s")
    h, _p, sig = token.split(".")
    forged = b64(json.dumps(good_claims(s, role="super_admin")).encode())
    return f"{h}.{forged}.{sig}"


def tamper_signature(s: TokenService) -> str:
    token, _ = s.issue_access(USER, "s")
    h, p, sig = token.split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return f"{h}.{p}.{flipped}"


ATTACKS: list[tuple[str, Callable[[TokenService], str], ErrorCode]] = [
    ("alg none unsigned", lambda s: craft({"alg": "none"}, good_claims(s), None), AUTH),
    ("alg none with signature", lambda s: craft({"alg": "none"}, good_claims(s), KEY), AUTH),
    ("alg None capitalised", lambda s: craft({"alg": "None"}, good_claims(s), None), AUTH),
    (
        "HS512 when HS256 configured",
        lambda s: craft({"alg": "HS512"}, good_claims(s), KEY, "sha512"),
        AUTH,
    ),
    (
        "RS256 header, HMAC with public key",
        lambda s: craft({"alg": "RS256"}, good_claims(s), FAKE_PUBLIC_KEY.encode()),
        AUTH,
    ),
    (
        "RS256 header, HMAC with the real secret",
        lambda s: craft({"alg": "RS256"}, good_claims(s), KEY),
        AUTH,
    ),
    ("no alg in header", lambda s: craft({"typ": "JWT"}, good_claims(s), KEY), AUTH),
    ("tampered payload", tamper_payload, AUTH),
    ("tampered signature", tamper_signature, AUTH),
    ("wrong secret", lambda s: craft(HS256, good_claims(s), b"x" * 48), AUTH),
    ("expired", lambda s: craft(HS256, good_claims(s, exp=s_now(s) - 1), KEY), EXPIRED),
    ("expires exactly now", lambda s: craft(HS256, good_claims(s, exp=s_now(s)), KEY), EXPIRED),
    ("future iat", lambda s: craft(HS256, good_claims(s, iat=s_now(s) + 31), KEY), AUTH),
    ("future nbf", lambda s: craft(HS256, good_claims(s, nbf=s_now(s) + 5), KEY), AUTH),
    ("nbf as string", signed(nbf="0"), AUTH),
    ("iat as string", signed(iat="1800000000"), AUTH),
    ("exp as bool", signed(exp=True), AUTH),
    ("exp as huge int", signed(exp=10**400), AUTH),
    ("role as int", signed(role=1), AUTH),
    ("sub as list", signed(sub=["a"]), AUTH),
    ("sub empty", signed(sub=""), AUTH),
    ("lga_id null", signed(lga_id=None), AUTH),
    ("unknown role", signed(role="root"), AUTH),
    ("typ of another kind", signed(typ="id"), AUTH),
    ("refresh token used as access", lambda s: s.issue_refresh(USER, "s")[0], AUTH),
    ("payload is a JSON list", lambda s: craft(HS256, [1, 2], KEY), AUTH),  # type: ignore[arg-type]
    ("garbage", lambda s: "not-a-token", AUTH),
    ("garbage with dots", lambda s: "a.b.c", AUTH),
    ("empty", lambda s: "", AUTH),
    ("oversized", lambda s: signed(pad="x" * MAX_TOKEN_CHARS)(s), AUTH),
    ("two segments", lambda s: ".".join(s.issue_access(USER, "s")[0].split(".")[:2]), AUTH),
    ("four segments", lambda s: s.issue_access(USER, "s")[0] + ".x", AUTH),
    ("non-base64 header", lambda s: "!!!." + s.issue_access(USER, "s")[0].split(".", 1)[1], AUTH),
    (
        "non-JSON header",
        lambda s: b64(b"{oops") + "." + s.issue_access(USER, "s")[0].split(".", 1)[1],
        AUTH,
    ),
]


# Which check must fire: proves each row is refused for its own reason, not by accident.
EXPECTED_REASON: dict[str, str | None] = {
    "alg none unsigned": "algorithm",
    "alg none with signature": "algorithm",
    "alg None capitalised": "algorithm",
    "HS512 when HS256 configured": "algorithm",
    "RS256 header, HMAC with public key": "algorithm",
    "RS256 header, HMAC with the real secret": "algorithm",
    "no alg in header": "algorithm",
    "tampered payload": "signature",
    "tampered signature": "signature",
    "wrong secret": "signature",
    "expired": None,
    "expires exactly now": None,
    "future iat": "future",
    "future nbf": "not yet valid",
    "nbf as string": "nbf must be a number",
    "iat as string": "iat must be a number",
    "exp as bool": "exp must be a number",
    "exp as huge int": "exp must be a number",
    "role as int": "role must be",
    "sub as list": "malformed",
    "sub empty": "sub must be",
    "lga_id null": "missing claim lga_id",
    "unknown role": "unknown role",
    "typ of another kind": "wrong token type",
    "refresh token used as access": "wrong token type",
    "payload is a JSON list": "malformed",
    "garbage": "not a JWS",
    "garbage with dots": "malformed",
    "empty": "missing",
    "oversized": "oversized",
    "two segments": "not a JWS",
    "four segments": "not a JWS",
    "non-base64 header": "malformed",
    "non-JSON header": "malformed",
}


def s_now(s: TokenService) -> float:
    return float(s._clock())


def test_attack_table_is_large_and_fully_explained() -> None:
    assert len(ATTACKS) >= 15
    assert {a[0] for a in ATTACKS} == set(EXPECTED_REASON)


@pytest.mark.parametrize(("name", "attack", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_hostile_token_refused(
    svc: TokenService, name: str, attack: Callable[[TokenService], str], code: ErrorCode
) -> None:
    token = attack(svc)
    with pytest.raises(AppError) as info:
        svc.decode(token, "access")
    assert info.value.code is code
    assert info.value.status == 401
    reason = info.value.details.get("reason")
    expected = EXPECTED_REASON[name]
    assert (reason is None) if expected is None else (expected in str(reason)), reason
    if token:
        assert token not in json.dumps(info.value.to_dict())


REQUIRED = ["sub", "role", "lga_id", "sid", "jti", "iat", "exp", "typ"]


@pytest.mark.parametrize("claim", REQUIRED)
def test_missing_required_claim_refused(svc: TokenService, claim: str) -> None:
    token = craft(HS256, good_claims(svc, **{claim: _DROP}), KEY)
    with pytest.raises(AppError) as info:
        svc.decode(token, "access")
    assert info.value.code is AUTH
    assert info.value.details["reason"] == f"missing claim {claim}"


def test_valid_access_token_round_trips(svc: TokenService, clock: FakeClock) -> None:
    clock.now = 1_800_000_000.1234567
    token, claims = svc.issue_access(USER, "session-1")
    assert claims["iat"] == 1_800_000_000.123
    assert claims["exp"] == pytest.approx(claims["iat"] + 900)
    decoded = svc.decode(token, "access")
    assert decoded == claims
    p = svc.principal_from_claims(decoded)
    assert (p.user_id, p.role, p.lga_id, p.session_id) == (
        USER.id,
        Role.SUPERVISOR,
        "lga-01",
        "session-1",
    )
    assert p.jti == claims["jti"] and p.iat == claims["iat"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_refresh_token_has_its_own_type_and_ttl(svc: TokenService, settings: Settings) -> None:
    token, claims = svc.issue_refresh(USER, "s")
    assert claims["typ"] == "refresh"
    assert claims["exp"] - claims["iat"] == pytest.approx(settings.refresh_ttl_s)
    assert svc.decode(token, "refresh")["jti"] == claims["jti"]
    access, _ = svc.issue_access(USER, "s")
    with pytest.raises(AppError) as info:
        svc.decode(access, "refresh")
    assert info.value.code is AUTH


def test_each_token_has_a_new_uuid7_jti(svc: TokenService) -> None:
    jtis = {svc.issue_access(USER, "s")[1]["jti"] for _ in range(50)}
    assert len(jtis) == 50
    assert all(j[14] == "7" for j in jtis)


def test_expiry_follows_the_injected_clock(svc: TokenService, clock: FakeClock) -> None:
    token, claims = svc.issue_access(USER, "s")
    clock.advance(899.999)
    assert svc.decode(token, "access")["jti"] == claims["jti"]
    clock.advance(0.001)
    with pytest.raises(AppError) as info:
        svc.decode(token, "access")
    assert info.value.code is EXPIRED


def test_small_clock_skew_on_iat_is_tolerated(svc: TokenService, clock: FakeClock) -> None:
    token = craft(HS256, good_claims(svc, iat=clock.now + 29), KEY)
    assert svc.decode(token, "access")["iat"] == clock.now + 29


def test_hs512_configured_accepts_hs512_and_refuses_hs256(clock: FakeClock, data_dir) -> None:
    s512 = Settings.model_validate(
        {"jwt_secret": "k" * 64, "jwt_algorithm": "HS512", "data_dir": data_dir}
    )
    svc = TokenService(s512, clock=clock)
    token, _ = svc.issue_access(USER, "s")
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    assert svc.decode(token, "access")["sub"] == USER.id
    downgraded = craft(HS256, good_claims(svc), b"k" * 64)
    with pytest.raises(AppError) as info:
        svc.decode(downgraded, "access")
    assert info.value.code is AUTH


def test_verified_cache_keeps_every_per_call_check(
    svc: TokenService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache holds only signature-checked strings; type and time are checked on every call."""
    refresh, _ = svc.issue_refresh(USER, "s")
    svc.decode(refresh, "refresh")
    with pytest.raises(AppError) as info:
        svc.decode(refresh, "access")
    assert info.value.details["reason"] == "wrong token type"
    access, _ = svc.issue_access(USER, "s")
    svc.decode(access, "access")
    with pytest.raises(AppError) as info:
        svc.decode(tamper_signature_of(access), "access")
    assert info.value.details["reason"] == "bad signature"
    clock.advance(900)
    with pytest.raises(AppError) as info:
        svc.decode(access, "access")
    assert info.value.code is EXPIRED
    monkeypatch.setattr("rtspike.transports.core.tokens.VERIFIED_CACHE_SIZE", 3)
    for _ in range(10):
        svc.decode(svc.issue_access(USER, "s")[0], "access")
    assert len(svc._verified) <= 3


def tamper_signature_of(token: str) -> str:
    h, p, sig = token.split(".")
    return f"{h}.{p}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"

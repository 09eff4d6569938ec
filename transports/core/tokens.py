"""Issue and decode JWTs: auth steps 1-2 (signature, algorithm, claims, time).

The algorithm list is fixed to the one configured HMAC algorithm, so ``alg: none``, RS/HS
confusion and algorithm downgrades are refused before any key is used. PyJWT's own time checks
are off: every time comparison uses the injected clock, so tests control time and every server
process agrees on the same rule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import jwt

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.ids import new_id
from rtspike.transports.core.principal import Principal, Role, UserInfo
from rtspike.transports.core.settings import Settings

__all__ = [
    "IAT_LEEWAY_S",
    "MAX_TOKEN_CHARS",
    "TOKEN_TYPES",
    "VERIFIED_CACHE_SIZE",
    "TokenService",
    "now_ms",
]

MAX_TOKEN_CHARS = 4096
IAT_LEEWAY_S = 30.0
VERIFIED_CACHE_SIZE = 8192
TOKEN_TYPES = ("access", "refresh")
_STR_CLAIMS = ("sub", "jti", "sid", "role", "lga_id", "typ")
_NUM_CLAIMS = ("iat", "exp")
_REQUIRED = [*_STR_CLAIMS, *_NUM_CLAIMS]
_ROLES = frozenset(r.value for r in Role)


def _refuse(reason: str) -> AppError:
    """The reason names which check failed; the caller crafted the token, so it reveals nothing."""
    return AppError(
        ErrorCode.AUTH_REQUIRED, "A valid access token is required", details={"reason": reason}
    )


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def now_ms(clock: Callable[[], float]) -> float:
    """Millisecond precision, so that a revoke-all and the next login are ordered."""
    return round(clock(), 3)


class TokenService:
    """Issues and decodes the JWTs, and nothing else: no store, no session, so it is pure and
    its clock is injected (tests and every node agree on time).

    Guarantees: only the configured HMAC algorithm is accepted; required claims are present
    and well typed; ``exp`` and ``iat`` are checked against the injected clock with a fixed
    leeway; an access token is never accepted where a refresh token is expected (``typ``).
    """

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._key = settings.secret()
        self._alg = settings.jwt_algorithm
        self._algorithms = [settings.jwt_algorithm]
        self._clock = clock
        self._verified: dict[str, dict[str, Any]] = {}
        self._jwt = jwt.PyJWT(
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
                "require": list(_REQUIRED),
            }
        )

    def _issue(
        self, user: UserInfo, session_id: str, typ: str, ttl: float
    ) -> tuple[str, dict[str, Any]]:
        iat = now_ms(self._clock)
        claims: dict[str, Any] = {
            "sub": user.id,
            "role": user.role.value,
            "lga_id": user.lga_id,
            "sid": session_id,
            "jti": new_id(),
            "iat": iat,
            "exp": round(iat + ttl, 3),
            "typ": typ,
        }
        token = jwt.encode(claims, self._key, algorithm=self._alg)
        return token, claims

    def issue_access(
        self, user: UserInfo, session_id: str, ttl: float | None = None
    ) -> tuple[str, dict[str, Any]]:
        return self._issue(user, session_id, "access", ttl or self._settings.access_ttl_s)

    def issue_refresh(self, user: UserInfo, session_id: str) -> tuple[str, dict[str, Any]]:
        return self._issue(user, session_id, "refresh", self._settings.refresh_ttl_s)

    def decode(self, token: str, typ: str) -> dict[str, Any]:
        """Steps 1-2. Every refusal is AUTH_REQUIRED except a well-formed, genuine token whose
        ``exp`` has passed (TOKEN_EXPIRED), which tells the client a refresh will help."""
        if typ not in TOKEN_TYPES:
            raise ValueError(f"unknown token type {typ!r}")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise _refuse("missing or oversized")
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_structure(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        if claims["typ"] != typ:
            raise _refuse("wrong token type")
        now = self._clock()
        if float(claims["iat"]) > now + IAT_LEEWAY_S:
            raise _refuse("issued in the future")
        if "nbf" in claims and float(claims["nbf"]) > now:
            raise _refuse("not yet valid")
        if float(claims["exp"]) <= now:
            raise AppError(ErrorCode.TOKEN_EXPIRED, "The token has expired; refresh it")
        return dict(claims)

    def _verify_structure(self, token: str) -> dict[str, Any]:
        """Signature, algorithm and claim types: facts about the token string that never change,
        so the result is cached per exact string (a hit means the same bytes were verified)."""
        if token.count(".") != 2:
            raise _refuse("not a JWS compact token")
        try:
            claims = self._jwt.decode(token, self._key, algorithms=self._algorithms)
        except jwt.InvalidAlgorithmError:
            raise _refuse("algorithm not allowed") from None
        except jwt.InvalidSignatureError:
            raise _refuse("bad signature") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _refuse(f"missing claim {exc.claim}") from None
        except jwt.PyJWTError:
            raise _refuse("malformed token") from None
        if not isinstance(claims, dict):
            raise _refuse("payload is not an object")
        for name in _STR_CLAIMS:
            value = claims.get(name)
            if not isinstance(value, str) or not value:
                raise _refuse(f"claim {name} must be a non-empty string")
        for name in _NUM_CLAIMS:
            if not _is_number(claims.get(name)):
                raise _refuse(f"claim {name} must be a number")
        if "nbf" in claims and not _is_number(claims["nbf"]):
            raise _refuse("claim nbf must be a number")
        if claims["role"] not in _ROLES:
            raise _refuse("unknown role")
        return claims

    @staticmethod
    def principal_from_claims(claims: dict[str, Any]) -> Principal:
        return Principal(
            user_id=claims["sub"],
            role=Role(claims["role"]),
            lga_id=claims["lga_id"],
            jti=claims["jti"],
            iat=float(claims["iat"]),
            exp=float(claims["exp"]),
            session_id=claims["sid"],
        )

"""The user directory and the deterministic dev seed.

rtspike does not own users (the product has its own user service); it needs a directory to
log in against and to resolve recipients. Passwords are checked with scrypt (the stdlib's
``hashlib.scrypt``, OpenSSL's implementation) at a real cost. The dev seed is documented and
public (everyone knows its password), so its hash is deliberately light: load tests log in
thousands of users.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.ids import stable_id
from rtspike.transports.core.principal import Role, UserInfo

DEV_PASSWORD = "rtspike-dev"
_ITERATIONS = 1000
_OTHER_ROLES = (
    Role.SUPER_ADMIN,
    Role.DATA_ENTRY_CLERK,
    Role.VERIFICATION_ASSESSOR,
    Role.GOVERNMENT_OFFICIAL,
    Role.PUBLIC_USER,
)


def unknown_user() -> AppError:
    """A token naming a user the directory no longer holds: refused like a missing token, so a
    deleted account learns nothing more than an anonymous caller."""
    return AppError(
        ErrorCode.AUTH_REQUIRED,
        "A valid access token is required",
        details={"reason": "unknown user"},
    )


class PasswordHasher(Protocol):
    def hash(self, password: str, salt: str) -> bytes: ...


@dataclass(frozen=True)
class ScryptHasher:
    """n=2**14, r=8: 16 MiB and tens of milliseconds per guess (OWASP's scrypt minimum)."""

    n: int = 2**14
    r: int = 8
    p: int = 1

    def hash(self, password: str, salt: str) -> bytes:
        return hashlib.scrypt(
            password.encode(),
            salt=salt.encode(),
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=2 * 128 * self.n * self.r * self.p,
            dklen=32,
        )


@dataclass(frozen=True)
class DevSeedHasher:
    """PBKDF2 at 1,000 iterations: only for the public dev seed, whose password is no secret."""

    iterations: int = _ITERATIONS

    def hash(self, password: str, salt: str) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), self.iterations)


SCRYPT = ScryptHasher()
DEV_SEED_HASHER = DevSeedHasher()


class UserDirectory:
    """Hashes are computed on first login, not at start-up: thousands of seed users would
    otherwise cost seconds on every server start."""

    def __init__(
        self, users: Iterable[tuple[UserInfo, str]], hasher: PasswordHasher = SCRYPT
    ) -> None:
        self._hasher = hasher
        self._by_id: dict[str, UserInfo] = {}
        self._by_login: dict[str, UserInfo] = {}
        self._passwords: dict[str, str] = {}
        self._hashes: dict[str, bytes] = {}
        for user, password in users:
            self._by_id[user.id] = user
            self._by_login[user.login] = user
            self._passwords[user.id] = password

    def _expected(self, user_id: str) -> bytes:
        if user_id not in self._hashes:
            self._hashes[user_id] = self._hasher.hash(self._passwords.pop(user_id), user_id)
        return self._hashes[user_id]

    def get(self, user_id: str) -> UserInfo | None:
        return self._by_id.get(user_id)

    def by_login(self, login: str) -> UserInfo | None:
        return self._by_login.get(login)

    def check_password(self, login: str, password: str) -> UserInfo | None:
        user = self._by_login.get(login)
        salt = user.id if user else "no-such-user"
        candidate = self._hasher.hash(password, salt)
        if user is None or not hmac.compare_digest(candidate, self._expected(user.id)):
            return None
        return user

    def __iter__(self) -> Iterator[UserInfo]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


def lga_ids(count: int) -> list[str]:
    return [f"lga-{i:02d}" for i in range(1, count + 1)]


def seed_users(lgas: int, enumerators: int) -> list[UserInfo]:
    """Per LGA one supervisor and ``enumerators`` enumerators, plus one user of every other
    role (in lga-01). Same inputs, same ids, on every machine."""
    users: list[UserInfo] = []
    for lga in lga_ids(lgas):
        login = f"sup.{lga}"
        users.append(UserInfo(stable_id(login), login, Role.SUPERVISOR, lga, f"Supervisor {lga}"))
        for n in range(1, enumerators + 1):
            login = f"enum.{lga}.{n:03d}"
            users.append(
                UserInfo(stable_id(login), login, Role.ENUMERATOR, lga, f"Enumerator {n} {lga}")
            )
    first = lga_ids(1)[0]
    for role in _OTHER_ROLES:
        login = f"{role.value.replace('_', '-')}.{first}"
        users.append(UserInfo(stable_id(login), login, role, first, role.value.replace("_", " ")))
    return users


def dev_directory(lgas: int, enumerators: int) -> UserDirectory:
    return UserDirectory(
        ((user, DEV_PASSWORD) for user in seed_users(lgas, enumerators)), DEV_SEED_HASHER
    )

"""Who is on the other end of a request or a connection, as the auth path proved it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SUPERVISOR = "supervisor"
    ENUMERATOR = "enumerator"
    SUPER_ADMIN = "super_admin"
    DATA_ENTRY_CLERK = "data_entry_clerk"
    VERIFICATION_ASSESSOR = "verification_assessor"
    GOVERNMENT_OFFICIAL = "government_official"
    PUBLIC_USER = "public_user"


MESSAGING_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.ENUMERATOR})


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What the policy needs to know about any user, sender or recipient."""

    id: str
    login: str
    role: Role
    lga_id: str
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: Role
    lga_id: str
    jti: str
    iat: float
    exp: float
    session_id: str

    def log_fields(self) -> dict[str, str]:
        """The fields every realtime log line carries (never the token)."""
        return {"user": self.user_id, "role": self.role.value, "lga": self.lga_id}

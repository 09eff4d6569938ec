"""Who may connect, what they may read, and where a message may go.

Teams come from a swappable ``TeamResolver``: today a team is an LGA; a later assignment table
is just another resolver, and nothing else in the system changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from rtspike.transports.core.envelope import MessageSend
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.logging import get_logger
from rtspike.transports.core.principal import MESSAGING_ROLES, Principal, Role, UserInfo
from rtspike.transports.core.users import UserDirectory, unknown_user

__all__ = [
    "LgaTeamResolver",
    "Policy",
    "Route",
    "TeamResolver",
    "TeamView",
]

log = get_logger("rtspike.policy")

# What the sender is told. Every recipient-side refusal shares one message and one public
# reason, so probing ids cannot tell "exists elsewhere" from "does not exist".
_RECIPIENT_MESSAGE = "The recipient is not in your team"
_PUBLIC_REASON = {
    "sender_role": "sender_role_not_allowed",
    "enumerator_broadcast": "broadcast_not_allowed",
    "self": "cannot_message_self",
}


class TeamResolver(Protocol):
    def team_of(self, user: UserInfo) -> str: ...


class LgaTeamResolver:
    """Supervisors and enumerators who share an LGA form a team."""

    def team_of(self, user: UserInfo) -> str:
        return user.lga_id


@dataclass(frozen=True)
class TeamView:
    me: UserInfo
    can_send: bool
    can_broadcast: bool
    recipients: list[UserInfo]


@dataclass(frozen=True)
class Route:
    stream: str
    recipient: str | None


class Policy:
    """The team rules in one place, so REST and every transport refuse exactly the same things.

    Guarantees: only messaging roles connect; a principal reads only its team stream and its
    own direct stream; supervisors broadcast to their team and message its members,
    enumerators message only their team's supervisors; every refusal is a
    ``TEAM_BOUNDARY_VIOLATION`` (or ``FORBIDDEN_ROLE``) that is logged, and recipient-side
    refusals look alike so ids cannot be probed.
    """

    def __init__(self, users: UserDirectory, resolver: TeamResolver | None = None) -> None:
        self._users = users
        self._resolver: TeamResolver = resolver or LgaTeamResolver()

    @staticmethod
    def team_stream(team: str) -> str:
        return f"lga:{team}"

    @staticmethod
    def user_stream(user_id: str) -> str:
        return f"user:{user_id}"

    def _user(self, p: Principal) -> UserInfo:
        user = self._users.get(p.user_id)
        if user is None:
            raise unknown_user()
        return user

    def check_connect(self, p: Principal) -> None:
        self._user(p)
        if p.role not in MESSAGING_ROLES:
            raise AppError(
                ErrorCode.FORBIDDEN_ROLE,
                "This role may not use realtime messaging",
                details={"role": p.role.value},
            )

    def readable_streams(self, p: Principal) -> list[str]:
        """Empty for roles outside messaging: they read nothing, whatever their LGA."""
        user = self._user(p)
        if user.role not in MESSAGING_ROLES:
            return []
        return [self.team_stream(self._resolver.team_of(user)), self.user_stream(user.id)]

    def can_read(self, p: Principal, stream: str) -> bool:
        return stream in self.readable_streams(p)

    def team(self, p: Principal) -> TeamView:
        """The caller's team as ``route`` sees it: who they may message directly and whether
        they may broadcast; empty for roles outside messaging. The demo picks recipients from
        it, so the page never offers a message the server would refuse."""
        me = self._user(p)
        if me.role not in MESSAGING_ROLES:
            return TeamView(me, False, False, [])
        team = self._resolver.team_of(me)
        members = [
            u
            for u in self._users
            if u.id != me.id
            and u.role in MESSAGING_ROLES
            and u.role is not me.role
            and self._resolver.team_of(u) == team
        ]
        members.sort(key=lambda u: (u.role.value, u.login))
        return TeamView(me, True, me.role is Role.SUPERVISOR, members)

    def route(self, p: Principal, msg: MessageSend, transport: str = "rest") -> Route:
        """The stream a message goes to, or TEAM_BOUNDARY_VIOLATION (logged for the audit)."""
        sender = self._user(p)
        team = self._resolver.team_of(sender)
        if msg.broadcast:
            target_stream = self.team_stream(team)
            if sender.role is Role.SUPERVISOR:
                return Route(target_stream, None)
            reason = "sender_role" if sender.role not in MESSAGING_ROLES else "enumerator_broadcast"
            raise self._violation(transport, sender, target_stream, None, reason, broadcast=True)
        to = msg.to or ""
        if sender.role not in MESSAGING_ROLES:
            raise self._violation(transport, sender, to, self._users.get(to), "sender_role")
        if to == sender.id:
            raise self._violation(transport, sender, to, sender, "self")
        target = self._users.get(to)
        if target is None:
            raise self._violation(transport, sender, to, None, "unknown_recipient")
        if self._resolver.team_of(target) != team:
            raise self._violation(transport, sender, to, target, "cross_team")
        if target.role not in MESSAGING_ROLES:
            raise self._violation(transport, sender, to, target, "recipient_role")
        if target.role is sender.role:
            raise self._violation(transport, sender, to, target, "same_role")
        return Route(self.user_stream(target.id), target.id)

    def _violation(
        self,
        transport: str,
        sender: UserInfo,
        target: str,
        target_user: UserInfo | None,
        reason: str,
        broadcast: bool = False,
    ) -> AppError:
        log.warning(
            "realtime.boundary_violation",
            code=ErrorCode.TEAM_BOUNDARY_VIOLATION.value,
            transport=transport,
            sender=sender.id,
            sender_role=sender.role.value,
            sender_lga=sender.lga_id,
            target=target,
            target_role=target_user.role.value if target_user else None,
            target_lga=target_user.lga_id if target_user else None,
            reason=reason,
        )
        public = _PUBLIC_REASON.get(reason, "recipient_not_in_team")
        details: dict[str, Any] = {"reason": public}
        if broadcast:
            details["broadcast"] = True
            message = "You may not broadcast to this team"
        else:
            details["to"] = target
            message = (
                _RECIPIENT_MESSAGE
                if public == "recipient_not_in_team"
                else ("You may not send this message")
            )
        return AppError(ErrorCode.TEAM_BOUNDARY_VIOLATION, message, details=details)

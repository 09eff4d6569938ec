"""The team policy: the full rule matrix, the audit log line, and a swapped team resolver."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from rtspike.transports.core.envelope import MessageSend
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.ids import stable_id
from rtspike.transports.core.policy import LgaTeamResolver, Policy, Route
from rtspike.transports.core.principal import MESSAGING_ROLES, Principal, Role, UserInfo
from rtspike.transports.core.users import DEV_PASSWORD, UserDirectory, seed_users

EXTRA_SUP = UserInfo(stable_id("sup2.lga-01"), "sup2.lga-01", Role.SUPERVISOR, "lga-01")
NON_MESSAGING = sorted(set(Role) - MESSAGING_ROLES)
VIOLATION = ErrorCode.TEAM_BOUNDARY_VIOLATION


def directory() -> UserDirectory:
    """The dev seed (2 LGAs x 3 enumerators, other roles in lga-01) plus a second supervisor
    in lga-01, so that supervisor -> supervisor inside one team can be tried."""
    users = [*seed_users(2, 3), EXTRA_SUP]
    return UserDirectory((u, DEV_PASSWORD) for u in users)


USERS = directory()


def uid(login: str) -> str:
    user = USERS.by_login(login)
    assert user is not None, login
    return user.id


def who(login: str) -> Principal:
    user = USERS.by_login(login)
    assert user is not None, login
    return Principal(user.id, user.role, user.lga_id, "jti", 1.0, 2.0, "sid")


def role_login(role: Role) -> str:
    return f"{role.value.replace('_', '-')}.lga-01"


def direct(to: str) -> MessageSend:
    return MessageSend(to=to, body="hi", client_msg_id="m1")


BROADCAST = MessageSend(broadcast=True, body="all", client_msg_id="m2")


@pytest.fixture
def policy() -> Policy:
    return Policy(USERS)


# (id, sender login, message, expected Route or log reason)
ALLOWED = [
    (
        "sup same-lga direct",
        "sup.lga-01",
        "enum.lga-01.002",
        Route(f"user:{uid('enum.lga-01.002')}", uid("enum.lga-01.002")),
    ),
    ("sup broadcast (own team)", "sup.lga-01", None, Route("lga:lga-01", None)),
    ("other-lga sup broadcast stays in its team", "sup.lga-02", None, Route("lga:lga-02", None)),
    (
        "enum same-lga direct to sup",
        "enum.lga-01.001",
        "sup.lga-01",
        Route(f"user:{uid('sup.lga-01')}", uid("sup.lga-01")),
    ),
    (
        "enum direct to second sup of team",
        "enum.lga-01.003",
        "sup2.lga-01",
        Route(f"user:{EXTRA_SUP.id}", EXTRA_SUP.id),
    ),
]

REFUSED = [
    ("sup other-lga direct", "sup.lga-01", "enum.lga-02.001", "cross_team"),
    ("enum other-lga direct", "enum.lga-01.001", "sup.lga-02", "cross_team"),
    ("enum broadcast", "enum.lga-01.001", None, "enumerator_broadcast"),
    ("enum other-lga broadcast", "enum.lga-02.003", None, "enumerator_broadcast"),
    ("sup to sup same team", "sup.lga-01", "sup2.lga-01", "same_role"),
    ("sup to sup other team", "sup.lga-02", "sup.lga-01", "cross_team"),
    ("enum to enum same team", "enum.lga-01.001", "enum.lga-01.002", "same_role"),
    ("enum to enum other team", "enum.lga-01.001", "enum.lga-02.002", "cross_team"),
    ("sup to self", "sup.lga-01", "sup.lga-01", "self"),
    ("enum to self", "enum.lga-01.001", "enum.lga-01.001", "self"),
    ("unknown recipient", "sup.lga-01", "no-such-user", "unknown_recipient"),
    *[
        (f"{r.value} sends direct", role_login(r), "enum.lga-01.001", "sender_role")
        for r in NON_MESSAGING
    ],
    *[(f"{r.value} broadcasts", role_login(r), None, "sender_role") for r in NON_MESSAGING],
    *[(f"sup to {r.value}", "sup.lga-01", role_login(r), "recipient_role") for r in NON_MESSAGING],
    *[
        (f"enum to {r.value}", "enum.lga-01.002", role_login(r), "recipient_role")
        for r in NON_MESSAGING
    ],
    *[
        (f"other-lga sup to {r.value}", "sup.lga-02", role_login(r), "cross_team")
        for r in NON_MESSAGING
    ],
]


def message_for(target: str | None) -> MessageSend:
    if target is None:
        return BROADCAST
    user = USERS.by_login(target)
    return direct(user.id if user else target)


@pytest.mark.parametrize(
    ("sender", "target", "route"), [a[1:] for a in ALLOWED], ids=[a[0] for a in ALLOWED]
)
def test_allowed_routes(policy: Policy, sender: str, target: str | None, route: Route) -> None:
    with capture_logs() as logs:
        assert policy.route(who(sender), message_for(target), "ws") == route
    assert logs == []


@pytest.mark.parametrize(
    ("sender", "target", "reason"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused_routes_are_logged(
    policy: Policy, sender: str, target: str | None, reason: str
) -> None:
    msg = message_for(target)
    with capture_logs() as logs, pytest.raises(AppError) as info:
        policy.route(who(sender), msg, "socketio")
    assert info.value.code is VIOLATION and info.value.status == 403
    [line] = logs
    s = USERS.by_login(sender)
    t = USERS.get(msg.to) if msg.to else None
    assert s is not None
    expected: dict[str, Any] = {
        "event": "realtime.boundary_violation",
        "log_level": "warning",
        "code": "TEAM_BOUNDARY_VIOLATION",
        "transport": "socketio",
        "sender": s.id,
        "sender_role": s.role.value,
        "sender_lga": s.lga_id,
        "target": msg.to if msg.to else f"lga:{s.lga_id}",
        "target_role": t.role.value if t else None,
        "target_lga": t.lga_id if t else None,
        "reason": reason,
    }
    assert line == expected


def test_unknown_and_cross_team_recipients_look_the_same(policy: Policy) -> None:
    """A sender probing ids learns nothing: same code, message and details shape."""
    errors = []
    for to in (uid("enum.lga-02.001"), "0190a000-0000-7000-8000-00000000dead"):
        with pytest.raises(AppError) as info:
            policy.route(who("sup.lga-01"), direct(to))
        errors.append(info.value)
    a, b = errors
    assert (a.code, a.message, a.status) == (b.code, b.message, b.status)
    assert a.details == {"reason": "recipient_not_in_team", "to": uid("enum.lga-02.001")}
    assert b.details["reason"] == a.details["reason"] and set(b.details) == set(a.details)


def test_default_transport_label_is_rest(policy: Policy) -> None:
    with capture_logs() as logs, pytest.raises(AppError):
        policy.route(who("enum.lga-01.001"), BROADCAST)
    assert logs[0]["transport"] == "rest"


@pytest.mark.parametrize("login", ["sup.lga-01", "enum.lga-02.003"])
def test_messaging_roles_may_connect(policy: Policy, login: str) -> None:
    policy.check_connect(who(login))


@pytest.mark.parametrize("role", NON_MESSAGING)
def test_other_roles_may_not_connect_nor_read(policy: Policy, role: Role) -> None:
    p = who(role_login(role))
    with pytest.raises(AppError) as info:
        policy.check_connect(p)
    assert info.value.code is ErrorCode.FORBIDDEN_ROLE and info.value.status == 403
    assert policy.readable_streams(p) == []
    assert not policy.can_read(p, "lga:lga-01")


def test_unknown_user_may_not_connect(policy: Policy) -> None:
    ghost = Principal("ghost", Role.SUPERVISOR, "lga-01", "j", 1.0, 2.0, "s")
    for call in (policy.check_connect, policy.readable_streams):
        with pytest.raises(AppError) as info:
            call(ghost)
        assert info.value.code is ErrorCode.AUTH_REQUIRED


def test_readable_streams_and_can_read(policy: Policy) -> None:
    p = who("enum.lga-01.001")
    assert policy.readable_streams(p) == ["lga:lga-01", f"user:{p.user_id}"]
    assert policy.can_read(p, "lga:lga-01")
    assert policy.can_read(p, f"user:{p.user_id}")
    assert not policy.can_read(p, "lga:lga-02")
    assert not policy.can_read(p, f"user:{uid('enum.lga-01.002')}")
    assert not policy.can_read(p, f"user:{uid('sup.lga-01')}")
    assert Policy.team_stream("x") == "lga:x" and Policy.user_stream("u") == "user:u"


class AssignmentResolver:
    """What prep-8 might bring: an explicit assignment table, LGA as the fallback."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table
        self._fallback = LgaTeamResolver()

    def team_of(self, user: UserInfo) -> str:
        return self._table.get(user.id) or self._fallback.team_of(user)


def test_a_custom_team_resolver_swaps_the_team_model() -> None:
    moved = uid("enum.lga-02.001")
    policy = Policy(USERS, AssignmentResolver({uid("sup.lga-01"): "north", moved: "north"}))
    sup = who("sup.lga-01")
    assert policy.route(sup, direct(moved)) == Route(f"user:{moved}", moved)
    assert policy.route(sup, BROADCAST) == Route("lga:north", None)
    assert policy.route(who("enum.lga-02.001"), direct(sup.user_id)).recipient == sup.user_id
    with pytest.raises(AppError) as info:
        policy.route(sup, direct(uid("enum.lga-01.001")))
    assert info.value.code is VIOLATION
    assert policy.readable_streams(who("enum.lga-02.001"))[0] == "lga:north"
    assert not policy.can_read(who("enum.lga-01.001"), "lga:north")

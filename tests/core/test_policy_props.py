"""The team policy as properties over every (sender, target) pair hypothesis picks, including
ids that do not exist and principals whose claims disagree with the directory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rtspike.transports.core.envelope import MessageSend
from rtspike.transports.core.errors import AppError, ErrorCode
from rtspike.transports.core.policy import Policy
from rtspike.transports.core.principal import MESSAGING_ROLES, Principal, Role
from rtspike.transports.core.users import DEV_PASSWORD, DEV_SEED_HASHER, UserDirectory, seed_users

SEED = seed_users(3, 3)
USERS = UserDirectory(((u, DEV_PASSWORD) for u in SEED), DEV_SEED_HASHER)
POLICY = Policy(USERS)
IDS = [u.id for u in SEED]
targets = st.sampled_from(IDS) | st.from_regex(r"\A[A-Za-z0-9.:-]{1,64}\Z")
senders = st.sampled_from(SEED)


def principal(user_id: str, role: Role, lga: str) -> Principal:
    return Principal(user_id, role, lga, "jti", 1.0, 2.0, "sid")


@settings(max_examples=200, deadline=None)
@given(senders, targets, st.sampled_from(list(Role)), st.text(max_size=8))
def test_a_direct_message_reaches_only_the_other_role_of_the_same_team(
    sender_user, to: str, claimed_role: Role, claimed_lga: str
) -> None:
    """Whatever role and LGA the principal claims, routing follows the directory."""
    p = principal(sender_user.id, claimed_role, claimed_lga)
    target = USERS.get(to)
    try:
        route = POLICY.route(p, MessageSend(to=to, body="x", client_msg_id="m"))
    except AppError as exc:
        assert exc.code is ErrorCode.TEAM_BOUNDARY_VIOLATION
        assert set(exc.details) <= {"reason", "to", "broadcast"}
        return
    assert target is not None and target.lga_id == sender_user.lga_id
    assert {target.role, sender_user.role} == {Role.SUPERVISOR, Role.ENUMERATOR}
    assert route.stream == f"user:{target.id}" and route.recipient == target.id


@settings(max_examples=100, deadline=None)
@given(senders)
def test_only_supervisors_broadcast_and_only_to_their_own_team(sender_user) -> None:
    p = principal(sender_user.id, sender_user.role, sender_user.lga_id)
    try:
        route = POLICY.route(p, MessageSend(broadcast=True, body="x", client_msg_id="m"))
    except AppError as exc:
        assert exc.code is ErrorCode.TEAM_BOUNDARY_VIOLATION
        assert sender_user.role is not Role.SUPERVISOR
        return
    assert sender_user.role is Role.SUPERVISOR and route.stream == f"lga:{sender_user.lga_id}"


@settings(max_examples=100, deadline=None)
@given(senders)
def test_readable_streams_are_exactly_own_team_and_own_inbox(sender_user) -> None:
    p = principal(sender_user.id, sender_user.role, sender_user.lga_id)
    streams = POLICY.readable_streams(p)
    if sender_user.role in MESSAGING_ROLES:
        assert streams == [f"lga:{sender_user.lga_id}", f"user:{sender_user.id}"]
    else:
        assert streams == []

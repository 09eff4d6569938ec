"""The pure checks behind the Locust users: identity spread, team boundary, seq gaps."""

from __future__ import annotations

from rtspike.loadtests.checks import (
    SeqTracker,
    body_lga,
    boundary_violation,
    global_index,
    identity_for,
    make_body,
    push_latency_ms,
)
from rtspike.transports.core.cursor import Cursor
from rtspike.transports.core.ids import stable_id


def _event(
    lga: str,
    body_lga_id: str | None = None,
    recipient: str | None = None,
    stream: str = "team:x",
    seq: int = 1,
    epoch: str = "e1",
) -> dict:
    return {
        "lga_id": lga,
        "body": make_body(body_lga_id or lga, 1, 1),
        "recipient": recipient,
        "stream": stream,
        "seq": seq,
        "epoch": epoch,
        "sent_at_ns": 1_000_000,
    }


def test_identities_cover_every_team_with_a_supervisor_first():
    ids = [identity_for(i, lgas=3, enumerators=4) for i in range(15)]
    assert [i.login for i in ids[:3]] == ["sup.lga-01", "sup.lga-02", "sup.lga-03"]
    assert all(i.is_supervisor for i in ids[:3]) and not any(i.is_supervisor for i in ids[3:])
    assert ids[3].login == "enum.lga-01.001" and ids[3].lga_id == "lga-01"
    assert len({i.login for i in ids}) == 15
    assert ids[0].user_id == stable_id("sup.lga-01")
    assert ids[5].supervisor_id == stable_id("sup.lga-03")


def test_workers_get_disjoint_indexes():
    a = {global_index(n, 0, 2) for n in range(50)}
    b = {global_index(n, 1, 2) for n in range(50)}
    assert not a & b and len(a | b) == 100


def test_boundary_violation_flags_foreign_team_mislabel_and_foreign_dm():
    me = identity_for(3, lgas=3, enumerators=4)  # enum.lga-01.001
    assert boundary_violation(me, _event("lga-01")) is None
    assert boundary_violation(me, _event("lga-01", recipient=me.user_id)) is None
    assert "lga_id" in (boundary_violation(me, _event("lga-02")) or "")
    assert "sender team" in (boundary_violation(me, _event("lga-01", body_lga_id="lga-02")) or "")
    assert "another user" in (boundary_violation(me, _event("lga-01", recipient="u-other")) or "")
    assert body_lga("not ours") is None


def test_seq_tracker_reports_gaps_and_duplicates_and_resumes():
    t = SeqTracker()
    assert t.encoded() is None
    assert t.observe(_event("l", seq=7)) is None  # joining mid-stream is not a gap
    assert t.observe(_event("l", seq=8)) is None
    assert t.observe(_event("l", seq=8)) == "duplicate"
    assert t.observe(_event("l", seq=5)) == "duplicate"
    assert t.observe(_event("l", seq=11)) == "gap"
    assert t.observe(_event("l", stream="user:me", seq=1)) is None
    assert t.observe(_event("l", seq=1, epoch="e2")) is None  # new epoch restarts
    cursor = Cursor.decode(t.encoded())
    assert cursor.epoch == "e2" and cursor.positions == {"team:x": 1}


def test_push_latency_is_receive_minus_intended_send():
    assert push_latency_ms({"sent_at_ns": 1_000_000}, 3_500_000) == 2.5
    assert push_latency_ms({"sent_at_ns": None}, 3_500_000) is None
    assert push_latency_ms({}, 3_500_000) is None

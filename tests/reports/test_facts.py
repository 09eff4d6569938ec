"""The declared facts cover every registered transport, so no transport's total is quietly
computed over fewer criteria than the others'."""

from __future__ import annotations

from rtspike.reports import adr, handoff, scoring
from rtspike.reports.rubric import DEFAULT_WEIGHTS  # the real file (conftest pins another)
from rtspike.transports import registry


def test_every_registered_transport_has_its_facts() -> None:
    rubric = scoring.load_rubric(DEFAULT_WEIGHTS)
    assert rubric.facts, "the facts table is empty"
    assert scoring.missing_facts(rubric, registry.names()) == []
    assert {f.transport for f in rubric.facts} <= set(registry.names())


def test_every_registered_transport_has_its_handoff_entry() -> None:
    entries = handoff.load_spec()["transports"]
    assert sorted(entries) == sorted(registry.names())
    assert all(entries[name].get("name") and "python" in entries[name] for name in entries)
    assert all(entries[name].get("python_server") for name in entries)


def test_a_transport_without_facts_is_reported() -> None:
    rubric = scoring.load_rubric(DEFAULT_WEIGHTS)
    declared = sorted({f.transport for f in rubric.facts})
    missing = scoring.missing_facts(rubric, [*declared, "newcomer"])
    assert missing and {t for _, t in missing} == {"newcomer"}
    assert {c for c, _ in missing} == {f.criterion for f in rubric.facts}


def test_every_registered_transport_has_its_decision_record_option() -> None:
    assert adr.missing_options(adr.load_spec(), registry.names()) == []
    assert adr.missing_options(adr.load_spec(), ["newcomer"]) == ["newcomer"]


def test_every_feature_says_what_each_registered_transport_leaves_to_the_team() -> None:
    spec = adr.load_spec()
    unwritten = [(f["key"], t) for f in spec["features"] for t in registry.names() if not f.get(t)]
    assert unwritten == []


def test_the_status_quo_names_an_option() -> None:
    spec = adr.load_spec()
    assert spec["status_quo"] in {o["key"] for o in spec["options"]}

"""The ACLs follow the topic registry: each principal gets what its role needs, no more."""

from __future__ import annotations

from lindung_contracts import (
    AGENCY_IDENTIFICATIONS,
    CASES,
    DEAD_LETTERS,
    DEADLINES,
    IDENTIFICATION_REJECTIONS,
    REFERRALS,
    TOPICS,
)
from lindung_devstack.acls import Acl, Operation, Pattern, Resource, acls
from lindung_devstack.kafka import registry_topics

AGENCIES = ["pdrm-kl", "jtk-johor"]
ALL = acls(AGENCIES)


def _of(principal: str) -> set[Acl]:
    return {acl for acl in ALL if acl.principal == principal}


def _topics(principal: str, operation: Operation) -> set[str]:
    return {
        a.name
        for a in _of(principal)
        if a.resource is Resource.TOPIC
        and a.pattern is Pattern.LITERAL
        and a.operation is operation
    }


def test_each_service_writes_exactly_the_topics_the_registry_says_it_produces():
    for service in ("intake", "router", "notifier", "sla-monitor"):
        produced = {t.name for t in registry_topics(AGENCIES) if service in t.producers}
        assert _topics(service, Operation.WRITE) == produced, service


def test_each_service_reads_exactly_the_topics_the_registry_says_it_consumes():
    for service in ("intake", "router", "notifier", "sla-monitor"):
        consumed = {t.name for t in registry_topics(AGENCIES) if service in t.consumers}
        assert _topics(service, Operation.READ) == consumed, service


def test_only_the_router_writes_referrals_and_every_service_writes_dead_letters():
    writers = {
        a.principal for a in ALL if a.name == REFERRALS.name and a.operation is Operation.WRITE
    }
    assert writers == {"router"}
    writers = {a.principal for a in ALL if a.name == DEAD_LETTERS.name}
    assert writers == {"intake", "router", "notifier", "sla-monitor"}
    assert {
        a.principal for a in ALL if a.name == DEADLINES.name and a.operation is Operation.WRITE
    } == {"sla-monitor"}


def test_a_service_has_its_own_group_and_faust_s_topics_under_its_own_prefix():
    router = _of("router")
    assert (
        Acl("router", Resource.GROUP, "lindung-router", Pattern.LITERAL, Operation.READ) in router
    )
    prefixed = {a for a in router if a.pattern is Pattern.PREFIXED}
    assert {a.name for a in prefixed} == {"lindung-router-"}
    assert {a.operation for a in prefixed} == {Operation.CREATE, Operation.READ, Operation.WRITE}


def test_an_agency_touches_no_internal_topic_and_no_one_else_s_group():
    agency = _of("agency.pdrm-kl")
    internal = {t.name for t in TOPICS if "agency systems" not in (*t.producers, *t.consumers)}
    assert CASES.name in internal
    assert not {a.name for a in agency} & internal
    groups = {a.name for a in agency if a.resource is Resource.GROUP}
    assert groups == {"agency.pdrm-kl."}


def test_an_agency_writes_only_its_own_identifications_and_reads_only_its_own_rejections():
    assert _topics("agency.pdrm-kl", Operation.WRITE) == {
        "lindung.agency.pdrm-kl.identifications.v1"
    }
    assert _topics("agency.pdrm-kl", Operation.READ) == {"lindung.agency.pdrm-kl.rejections.v1"}
    assert not any(
        a.pattern is Pattern.PREFIXED for a in _of("agency.pdrm-kl") if a.resource is Resource.TOPIC
    )


def test_intake_reads_each_agency_s_identifications_and_writes_each_agency_s_rejections():
    assert _topics("intake", Operation.READ) >= {
        AGENCY_IDENTIFICATIONS.for_agency(a).name for a in AGENCIES
    }
    assert _topics("intake", Operation.WRITE) >= {
        IDENTIFICATION_REJECTIONS.for_agency(a).name for a in AGENCIES
    }
    # ...and cannot write an identification in an agency's name.
    assert not _topics("intake", Operation.WRITE) & {
        AGENCY_IDENTIFICATIONS.for_agency(a).name for a in AGENCIES
    }

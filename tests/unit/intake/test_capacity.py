"""Who may set a provider's free places, and which figures can be."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import CapacityReported, CapacityUnit, ServiceType
from lindung_intake.domain import Principal, PrincipalKind
from lindung_intake.domain.capacity import decide_capacity
from lindung_intake.domain.refusal import Refusal, RefusalKind

NOW = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
KEY = Principal(PrincipalKind.PROVIDER, "shelter-kl-1", key_id="k_shelter-kl-1")
STAFF = Principal(PrincipalKind.PROVIDER, "shelter-kl-1", person="amina.k", role="provider_staff")


def decide(principal: Principal, provider_id="shelter-kl-1", available=2, maximum=None):
    return decide_capacity(
        principal,
        provider_id,
        ServiceType.SAFE_SHELTER,
        unit=CapacityUnit.BEDS,
        available=available,
        maximum=maximum,
        report_id=uuid.uuid4(),
        at=NOW,
    )


@pytest.mark.parametrize(("principal", "by"), [(KEY, "k_shelter-kl-1"), (STAFF, "amina.k")])
def test_the_provider_sets_its_own_figure_and_who_is_an_id(principal, by):
    report = decide(principal, available=3, maximum=3)
    assert isinstance(report, CapacityReported)
    assert (report.available, report.maximum, report.at, report.reported_by) == (3, 3, NOW, by)
    assert report.kafka_key() == "shelter-kl-1"


@pytest.mark.parametrize(
    "principal",
    [
        Principal(PrincipalKind.PROVIDER, "shelter-kl-2", key_id="k_2"),
        Principal(PrincipalKind.COORDINATOR, "shelter-kl-1", key_id="k_c"),
        Principal(PrincipalKind.AGENCY, "shelter-kl-1", key_id="k_a"),
    ],
)
def test_nobody_else_sets_it(principal):
    refusal = decide(principal)
    assert isinstance(refusal, Refusal)
    assert refusal.kind is RefusalKind.FORBIDDEN
    assert refusal.errors[0].field == "provider_id"


def test_more_free_than_in_all_is_refused_naming_available():
    refusal = decide(KEY, available=5, maximum=4)
    assert isinstance(refusal, Refusal)
    assert (refusal.kind, refusal.errors[0].field) == (RefusalKind.INVALID, "available")
    assert isinstance(decide(KEY, available=0, maximum=0), CapacityReported)

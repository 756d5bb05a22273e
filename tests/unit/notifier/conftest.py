"""Payload builders for the notifier's unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    DeadlineWarning,
    Gender,
    NoProviderAvailable,
    RecipientRole,
    ReferralAccepted,
    ReferralRequested,
    ServiceType,
)

if TYPE_CHECKING:
    from collections.abc import Callable

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
CASE = uuid.UUID("7f3c1a52-0000-4000-8000-000000000001")
REFERRAL = uuid.UUID("7f3c1a52-0000-4000-8000-000000000002")


def _referral_requested(**changes: Any) -> ReferralRequested:
    fields: dict[str, Any] = {
        "referral_id": REFERRAL,
        "case_id": CASE,
        "agency_id": "pdrm-kl",
        "service": ServiceType.SAFE_SHELTER,
        "provider_id": "shelter-kl-1",
        "attempt": 1,
        "urgent": False,
        "reasons": ("every identified child",),
        "requested_at": T0,
        "due_at": T0 + timedelta(hours=24),
        "escalation": (),
        "policy_version": "2026.1",
        "child": ChildSummary(
            age_years=14, age_disputed=False, gender=Gender.FEMALE, languages=("ms",)
        ),
    }
    return ReferralRequested(**{**fields, **changes})


def _deadline(kind: type[DeadlineWarning | DeadlineMissed], notify: RecipientRole) -> Any:
    fields: dict[str, Any] = {
        "referral_id": REFERRAL,
        "case_id": CASE,
        "provider_id": "shelter-kl-1",
        "service": ServiceType.SAFE_SHELTER,
        "requested_at": T0,
        "due_at": T0 + timedelta(hours=24),
        "notify": notify,
        "fired_at": T0 + timedelta(hours=12),
    }
    if kind is DeadlineWarning:
        return DeadlineWarning(**fields, percent_of_window=50)
    return DeadlineMissed(**fields, escalation_level=1)


@pytest.fixture
def referral_requested() -> Callable[..., ReferralRequested]:
    return _referral_requested


@pytest.fixture
def deadline() -> Callable[..., Any]:
    return _deadline


@pytest.fixture
def no_provider() -> NoProviderAvailable:
    return NoProviderAvailable(
        case_id=CASE,
        service=ServiceType.UNHCR,
        reasons=("refugee",),
        tried=("unhcr-kl",),
        at=T0,
    )


@pytest.fixture
def referral_accepted() -> ReferralAccepted:
    return ReferralAccepted(
        referral_id=REFERRAL,
        case_id=CASE,
        provider_id="shelter-kl-1",
        service=ServiceType.SAFE_SHELTER,
        at=T0,
    )

"""The tier a referral's provider was matched in, as a code on ReferralRequested."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    MATCHED_TIER_WORDS,
    ChildSummary,
    Gender,
    MalaysianState,
    MatchedTier,
    ServiceType,
)
from lindung_router.domain import (
    CaseFacts,
    Chosen,
    Directory,
    Need,
    Policy,
    ReferralState,
    ReferralStatus,
    reroute,
    route,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
POLICY = Policy.model_validate(
    {"version": "p", "windows": {s.value: {"normal": "24h", "urgent": "4h"} for s in ServiceType}}
)
SHELTER = Need(ServiceType.SAFE_SHELTER, urgent=False, reasons=("every child",))


def shelter(pid: str, states: list[str], **more: object) -> dict[str, object]:
    return {"id": pid, "name": pid, "services": ["safe_shelter"], "states": states} | more


def facts(state: MalaysianState = MalaysianState.SELANGOR, district: str | None = "klang"):
    child = ChildSummary(age_years=12, age_disputed=False, gender=Gender.FEMALE, languages=())
    return CaseFacts(uuid.UUID(int=1), "pdrm-selangor", state, child, AT, None, district)


def routed_tier(*providers: dict[str, object], **where: object) -> MatchedTier | None:
    directory = Directory.model_validate({"version": "d", "providers": list(providers)})
    requested = route(
        facts(**where),  # type: ignore[arg-type]
        SHELTER,
        policy=POLICY,
        directory=directory,
        start=AT,
        now=AT,
        referral_id=uuid.UUID(int=2),
    ).requested
    assert requested is not None
    return requested.matched_tier


@pytest.mark.parametrize(
    ("provider", "tier"),
    [
        (shelter("in-klang", ["selangor"], districts=["klang"]), MatchedTier.DISTRICT),
        (shelter("in-selangor", ["selangor"]), MatchedTier.STATE),
        (shelter("in-perak", ["perak"]), MatchedTier.NEIGHBOURING),
        (shelter("everywhere", ["*"]), MatchedTier.NATIONAL),
    ],
)
def test_each_tier_is_named_by_its_code(provider, tier):
    assert routed_tier(provider) is tier


def test_the_tier_is_that_of_the_provider_chosen_not_of_the_nearest():
    far = shelter("everywhere", ["*"], languages=["ms"])
    near = shelter("in-selangor", ["selangor"], accepting=False)
    assert routed_tier(near, far) is MatchedTier.NATIONAL


def reassigned(provider_id: str | None) -> MatchedTier | None:
    directory = Directory.model_validate(
        {
            "version": "d",
            "providers": [
                shelter("shelter-a", ["selangor"], priority=1),
                shelter("shelter-b", ["selangor"], priority=2),
                shelter("shelter-far", ["sabah"]),
            ],
        }
    )
    previous = ReferralState(
        referral_id=uuid.UUID(int=10),
        case_id=uuid.UUID(int=1),
        provider_id="shelter-a",
        service=ServiceType.SAFE_SHELTER,
        status=ReferralStatus.REQUESTED,
        attempt=1,
        urgent=False,
        reasons=("every child",),
    )
    routed, _ = reroute(
        facts(district=None),
        previous,
        why="moved by a case coordinator",
        detail="coordinator_arranged",
        policy=POLICY,
        directory=directory,
        tried=("shelter-a",),
        at=AT,
        now=AT,
        referral_id=uuid.UUID(int=11),
        chosen=Chosen("coordinator-sel", provider_id),
    )
    assert routed.requested is not None
    return routed.requested.matched_tier


def test_a_provider_a_coordinator_named_was_chosen_by_the_coordinator():
    assert reassigned("shelter-far") is MatchedTier.COORDINATOR


def test_the_next_suitable_one_a_coordinator_asked_for_keeps_its_tier():
    assert reassigned(None) is MatchedTier.STATE
    assert reassigned("not-in-the-directory") is MatchedTier.STATE


def test_every_tier_has_words_in_english_and_malay():
    assert set(MATCHED_TIER_WORDS) == set(MatchedTier)
    assert all(set(words) == {"en", "ms"} for words in MATCHED_TIER_WORDS.values())

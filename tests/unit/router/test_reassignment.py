"""A coordinator's reassignment: which referrals move, and to whom."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    MalaysianState,
    ReasonCode,
    ReferralReassignmentRequested,
    ServiceType,
)
from lindung_router.domain import (
    Chosen,
    Directory,
    ReferralState,
    ReferralStatus,
    choose,
    refuse_reassignment,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WAITING = ReferralState(
    referral_id=uuid.UUID(int=10),
    case_id=uuid.UUID(int=1),
    provider_id="shelter-a",
    service=ServiceType.SAFE_SHELTER,
    status=ReferralStatus.REQUESTED,
    attempt=1,
    urgent=False,
    reasons=("every child",),
)
DIRECTORY = Directory.model_validate(
    {
        "version": "unit-1",
        "providers": [
            {"id": "shelter-a", "name": "A", "services": ["safe_shelter"],
             "states": ["selangor"], "priority": 1},
            {"id": "shelter-b", "name": "B", "services": ["safe_shelter"],
             "states": ["selangor"], "priority": 2},
            # Far away and full, as the directory has it; a coordinator may still choose it.
            {"id": "shelter-far", "name": "Far", "services": ["safe_shelter"],
             "states": ["sabah"], "accepting": False},
            {"id": "clinic-1", "name": "Clinic", "services": ["health"], "states": ["*"]},
        ],
    }
)  # fmt: skip


def request(provider_id: str | None = "shelter-b", *, case_id: uuid.UUID = WAITING.case_id):
    return ReferralReassignmentRequested(
        request_id=uuid.UUID(int=99),
        referral_id=WAITING.referral_id,
        case_id=case_id,
        coordinator_id="coordinator-sel",
        provider_id=provider_id,
        reason=ReasonCode.COORDINATOR_ARRANGED,
        at=AT,
    )


def pick(provider_id: str | None, tried: tuple[str, ...] = ("shelter-a",)):
    return choose(
        Chosen("coordinator-sel", provider_id),
        DIRECTORY,
        WAITING,
        state=MalaysianState.SELANGOR,
        district=None,
        languages=(),
        tried=tried,
    )


def test_a_referral_awaiting_acceptance_moves():
    assert refuse_reassignment(WAITING, request()) is None
    paused = dataclasses.replace(WAITING, paused_at=AT)
    assert refuse_reassignment(paused, request()) is None


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (ReferralStatus.ACCEPTED, "is accepted"),
        (ReferralStatus.IN_PROGRESS, "is in_progress"),
        (ReferralStatus.COMPLETED, "is completed"),
        (ReferralStatus.DECLINED, "is declined"),
        (ReferralStatus.WITHDRAWN, "already withdrawn"),
    ],
)
def test_a_referral_taken_or_moved_on_stays_as_it_is(status, says):
    why = refuse_reassignment(dataclasses.replace(WAITING, status=status), request())

    assert why is not None
    assert says in why


def test_a_request_for_its_own_provider_or_another_case_changes_nothing():
    assert refuse_reassignment(WAITING, request("shelter-a")) == "is already with shelter-a"
    other_case = request(case_id=uuid.UUID(int=2))
    assert refuse_reassignment(WAITING, other_case) == "request names another case"


def test_the_chosen_provider_is_asked_whatever_its_area_capacity_or_earlier_answer():
    far = pick("shelter-far")
    again = pick("shelter-b", tried=("shelter-b", "shelter-a"))

    assert far.provider is not None
    assert far.provider.id == "shelter-far"
    assert far.matched_by == "chosen by case coordinator coordinator-sel"
    assert again.provider is not None
    assert again.provider.id == "shelter-b"


def test_no_choice_asks_the_next_suitable_provider_and_says_who_asked():
    choice = pick(None)

    assert choice.provider is not None
    assert choice.provider.id == "shelter-b"
    assert choice.matched_by == (
        "case coordinator coordinator-sel asked for the next suitable provider: serves selangor"
    )


@pytest.mark.parametrize(
    ("chosen", "why"),
    [
        ("shelter-nowhere", "shelter-nowhere, which is not in the provider directory"),
        ("clinic-1", "clinic-1, which does not offer safe_shelter"),
    ],
)
def test_a_provider_the_router_cannot_ask_is_replaced_by_the_next_suitable_one(chosen, why):
    choice = pick(chosen)

    assert choice.provider is not None
    assert choice.provider.id == "shelter-b"
    assert choice.matched_by == (
        f"case coordinator coordinator-sel chose {why}; the next suitable provider instead: "
        "serves selangor"
    )


def test_with_nobody_suitable_left_no_provider_is_chosen():
    choice = pick("clinic-1", tried=("shelter-a", "shelter-b"))

    assert choice.provider is None
    assert choice.notes[0].startswith("case coordinator coordinator-sel chose clinic-1")

"""The referral lifecycle: which answers move a referral, which change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from lindung_contracts import (
    Outcome,
    ProviderResponded,
    ReasonCode,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralStarted,
    ResponseKind,
    ServiceType,
)
from lindung_router.domain import ReferralState, ReferralStatus, apply_response, transition

St, R = ReferralStatus, ResponseKind
AT = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
CASE = uuid.UUID(int=1)

ALLOWED = {
    (St.REQUESTED, R.ACCEPTED): St.ACCEPTED,
    (St.REQUESTED, R.DECLINED): St.DECLINED,
    (St.REQUESTED, R.FAILED): St.FAILED,
    (St.ACCEPTED, R.STARTED): St.IN_PROGRESS,
    (St.ACCEPTED, R.COMPLETED): St.COMPLETED,
    (St.ACCEPTED, R.FAILED): St.FAILED,
    (St.IN_PROGRESS, R.COMPLETED): St.COMPLETED,
    (St.IN_PROGRESS, R.FAILED): St.FAILED,
}


@pytest.mark.parametrize("status", list(ReferralStatus))
@pytest.mark.parametrize("response", list(ResponseKind))
def test_transitions(status, response):
    assert transition(status, response) == ALLOWED.get((status, response))


@pytest.mark.parametrize(
    ("status", "response"),
    [
        (St.COMPLETED, R.ACCEPTED),
        (St.ACCEPTED, R.ACCEPTED),
        (St.ACCEPTED, R.DECLINED),
        (St.REQUESTED, R.STARTED),
        (St.REQUESTED, R.COMPLETED),
        (St.DECLINED, R.ACCEPTED),
        (St.FAILED, R.COMPLETED),
    ],
)
def test_a_transition_that_is_not_allowed_changes_nothing(status, response):
    outcome = apply_response(referral(status), answer(response))
    assert outcome.status is None
    assert outcome.events == ()
    assert not outcome.reroute
    assert response.value in (outcome.ignored or "")


def referral(status: ReferralStatus, provider_id: str = "shelter-a") -> ReferralState:
    return ReferralState(
        referral_id=uuid.UUID(int=10),
        case_id=CASE,
        provider_id=provider_id,
        service=ServiceType.SAFE_SHELTER,
        status=status,
        attempt=1,
        urgent=False,
        reasons=("every child",),
    )


def answer(
    response: ResponseKind, provider_id: str = "shelter-a", reason: ReasonCode | None = None
) -> ProviderResponded:
    return ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=uuid.UUID(int=10),
        case_id=CASE,
        provider_id=provider_id,
        response=response,
        reason=reason,
        responded_at=AT,
    )


@pytest.mark.parametrize(
    ("status", "response", "event_type"),
    [
        (St.REQUESTED, R.ACCEPTED, ReferralAccepted),
        (St.ACCEPTED, R.STARTED, ReferralStarted),
        (St.IN_PROGRESS, R.COMPLETED, ReferralCompleted),
        (St.ACCEPTED, R.COMPLETED, ReferralCompleted),
        (St.REQUESTED, R.DECLINED, ReferralDeclined),
    ],
)
def test_each_move_is_announced_at_the_providers_time(status, response, event_type):
    outcome = apply_response(referral(status), answer(response, reason=ReasonCode.AT_CAPACITY))
    (event,) = outcome.events
    assert type(event) is event_type
    assert (event.referral_id, event.case_id, event.provider_id, event.at) == (
        uuid.UUID(int=10),
        CASE,
        "shelter-a",
        AT,
    )
    assert outcome.reroute is (response is R.DECLINED)


def test_a_decline_carries_the_providers_reason_code_or_other_when_none_was_given():
    answered = answer(R.DECLINED, reason=ReasonCode.AT_CAPACITY)
    (declined,) = apply_response(referral(St.REQUESTED), answered).events
    assert declined.reason is ReasonCode.AT_CAPACITY
    (declined,) = apply_response(referral(St.REQUESTED), answer(R.DECLINED, reason=None)).events
    assert declined.reason is ReasonCode.OTHER


@pytest.mark.parametrize(
    ("outcome", "why"),
    [
        (None, None),
        (Outcome.DELIVERED, None),
        (Outcome.NOT_DELIVERED, ReasonCode.CHILD_DECLINED),
    ],
)
def test_a_completion_carries_what_was_done_for_the_child(outcome, why):
    answered = answer(R.COMPLETED).model_copy(update={"outcome": outcome, "outcome_reason": why})
    (completed,) = apply_response(referral(St.IN_PROGRESS), answered).events
    assert isinstance(completed, ReferralCompleted)
    assert (completed.outcome, completed.outcome_reason) == (outcome, why)


def test_a_failure_reroutes_without_an_event_of_its_own():
    outcome = apply_response(
        referral(St.IN_PROGRESS), answer(R.FAILED, reason=ReasonCode.CHILD_MISSING)
    )
    assert outcome.status is St.FAILED
    assert outcome.events == ()
    assert outcome.reroute


def test_an_answer_from_another_provider_changes_nothing():
    outcome = apply_response(referral(St.REQUESTED), answer(R.ACCEPTED, provider_id="shelter-b"))
    assert outcome.status is None
    assert outcome.events == ()
    assert "not addressed" in (outcome.ignored or "")

"""A coordinator's pause and resume: which change a referral's clock, and which do nothing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    ClockAction,
    ClockChangeRequested,
    ReasonCode,
    ReferralPaused,
    ReferralResumed,
    ServiceType,
)
from lindung_router.domain import ReferralState, ReferralStatus, change_clock

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
RUNNING = ReferralState(
    referral_id=uuid.UUID(int=10),
    case_id=uuid.UUID(int=1),
    provider_id="shelter-a",
    service=ServiceType.SAFE_SHELTER,
    status=ReferralStatus.REQUESTED,
    attempt=1,
    urgent=True,
    reasons=("every child",),
)
PAUSED = dataclasses.replace(RUNNING, paused_at=AT - timedelta(hours=3))


def request(action: ClockAction, *, at: datetime = AT, case_id: uuid.UUID = RUNNING.case_id):
    return ClockChangeRequested(
        request_id=uuid.UUID(int=99),
        referral_id=RUNNING.referral_id,
        case_id=case_id,
        action=action,
        coordinator_id="coordinator-sel",
        reason=ReasonCode.CHILD_IN_HOSPITAL,
        at=at,
    )


def test_a_running_clock_pauses_at_the_coordinator_s_time():
    change = change_clock(RUNNING, request(ClockAction.PAUSE))

    assert change.event == ReferralPaused(
        referral_id=RUNNING.referral_id,
        case_id=RUNNING.case_id,
        provider_id="shelter-a",
        service=ServiceType.SAFE_SHELTER,
        at=AT,
        coordinator_id="coordinator-sel",
        reason=ReasonCode.CHILD_IN_HOSPITAL,
    )


def test_a_paused_clock_resumes_and_says_since_when_it_was_paused():
    change = change_clock(PAUSED, request(ClockAction.RESUME))

    assert isinstance(change.event, ReferralResumed)
    assert change.event.paused_at == PAUSED.paused_at
    assert change.event.at == AT


@pytest.mark.parametrize(
    ("referral", "action", "why"),
    [
        (
            PAUSED,
            ClockAction.PAUSE,
            "its clock is already paused, since " + PAUSED.paused_at.isoformat(),
        ),
        (RUNNING, ClockAction.RESUME, "its clock is not paused"),
        (
            dataclasses.replace(RUNNING, status=ReferralStatus.ACCEPTED),
            ClockAction.PAUSE,
            "is accepted: only a referral awaiting acceptance has a clock",
        ),
        (
            dataclasses.replace(PAUSED, status=ReferralStatus.WITHDRAWN),
            ClockAction.RESUME,
            "was withdrawn from its provider; its clock has stopped",
        ),
    ],
    ids=["pause-twice", "resume-running", "pause-accepted", "resume-withdrawn"],
)
def test_what_the_state_does_not_allow_changes_nothing(referral, action, why):
    change = change_clock(referral, request(action))

    assert change.event is None
    assert change.ignored == why


def test_a_resume_dated_before_its_pause_changes_nothing():
    early = request(ClockAction.RESUME, at=PAUSED.paused_at - timedelta(seconds=1))

    assert change_clock(PAUSED, early).ignored == "cannot be resumed before it was paused"


def test_a_request_naming_another_case_changes_nothing():
    stray = request(ClockAction.PAUSE, case_id=uuid.UUID(int=2))

    assert change_clock(RUNNING, stray).ignored == "request names another case"

"""Closing a case: which referrals are cancelled, which stay, and what a repeat does."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import CaseCloseRequested, CaseOutcome, ReasonCode, ServiceType
from lindung_router.domain import ReferralState, ReferralStatus, close_case, ended_by_closing

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CASE = uuid.UUID(int=1)
BASE = ReferralState(
    referral_id=uuid.UUID(int=10),
    case_id=CASE,
    provider_id="shelter-a",
    service=ServiceType.SAFE_SHELTER,
    status=ReferralStatus.REQUESTED,
    attempt=1,
    urgent=False,
    reasons=("every child",),
)
REQUEST = CaseCloseRequested(
    request_id=uuid.UUID(int=99),
    case_id=CASE,
    coordinator_id="coordinator-sel",
    outcome=CaseOutcome.REUNIFIED,
    reason=None,
    at=AT,
)


def _referral(n: int, status: ReferralStatus, **more: object) -> ReferralState:
    return dataclasses.replace(BASE, referral_id=uuid.UUID(int=n), status=status, **more)


def test_what_awaits_acceptance_is_cancelled_and_what_is_under_way_stays():
    referrals = [
        _referral(13, ReferralStatus.IN_PROGRESS),
        _referral(12, ReferralStatus.REQUESTED, paused_at=AT - timedelta(hours=1)),
        _referral(11, ReferralStatus.REQUESTED),
        _referral(14, ReferralStatus.ACCEPTED),
        _referral(15, ReferralStatus.WITHDRAWN),
        _referral(16, ReferralStatus.DECLINED),
        _referral(17, ReferralStatus.COMPLETED),
    ]

    closing = close_case(REQUEST, referrals, closed=None)

    assert [e.referral_id.int for e in closing.cancelled] == [11, 12]
    assert {(e.reason_code, e.coordinator_id, e.at) for e in closing.cancelled} == {
        (ReasonCode.CASE_CLOSED, "coordinator-sel", AT)
    }
    assert closing.closed is not None
    assert [r.int for r in closing.closed.cancelled] == [11, 12]
    assert [r.int for r in closing.closed.continuing] == [13, 14]
    assert closing.closed.outcome is CaseOutcome.REUNIFIED
    assert closing.events[-1] is closing.closed


def test_a_case_with_nothing_open_is_still_closed_once():
    closing = close_case(REQUEST, [_referral(11, ReferralStatus.COMPLETED)], closed=None)

    assert closing.cancelled == ()
    assert closing.closed is not None
    assert closing.events == (closing.closed,)


@pytest.mark.parametrize(
    ("earlier", "why"),
    [
        (REQUEST.request_id, "close request seen again; the case is closed"),
        (uuid.UUID(int=98), f"case was closed already, at {AT.isoformat()}"),
    ],
)
def test_a_closed_case_stays_as_it_was(earlier, why):
    closing = close_case(REQUEST, [_referral(11, ReferralStatus.REQUESTED)], closed=(earlier, AT))

    assert (closing.cancelled, closing.closed, closing.events) == ((), None, ())
    assert closing.ignored == why


def test_a_failure_after_closing_ends_the_referral_and_a_decline_says_it_itself():
    accepted = _referral(11, ReferralStatus.ACCEPTED, case_closed=True)

    ended = ended_by_closing(accepted, ReferralStatus.FAILED, code=ReasonCode.CHILD_MISSING, at=AT)

    assert ended is not None
    assert (ended.referral_id, ended.reason_code, ended.at) == (
        accepted.referral_id,
        ReasonCode.CHILD_MISSING,
        AT,
    )
    declined = ended_by_closing(
        accepted, ReferralStatus.DECLINED, code=ReasonCode.AT_CAPACITY, at=AT
    )
    assert declined is None

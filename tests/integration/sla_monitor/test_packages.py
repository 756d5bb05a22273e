"""The whole package: every referral of a case accepted in time, else one case alert."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_contracts import PackageDeadlineMissed, ReferralAccepted, ReferralDeclined
from lindung_sla_monitor.domain import package_event_id

pytestmark = pytest.mark.integration


def _packages(events) -> list[PackageDeadlineMissed]:
    return [e.data for e in events if isinstance(e.data, PackageDeadlineMissed)]


def _two_referrals_of_one_case(new_referral):
    shelter, legal_aid = new_referral(), new_referral()
    # Both of one case: the helper gives each its own case id.
    legal_aid = type(legal_aid)(
        legal_aid.referral_id, shelter.case_id, legal_aid.requested_at, legal_aid.due_at
    )
    return shelter, legal_aid


async def test_a_case_with_a_referral_still_unaccepted_is_escalated_once(
    monitor, fire_due, new_referral, outbox
):
    shelter, legal_aid = _two_referrals_of_one_case(new_referral)
    package_due = shelter.requested_at + timedelta(hours=72)
    for referral in (shelter, legal_aid):
        await monitor.deliver(referral.requested(package_due_at=package_due))
    await monitor.deliver(shelter.fact(ReferralAccepted, shelter.at_percent(20)))

    assert _packages((await fire_due(package_due - timedelta(seconds=1))).fired) == []
    (alert,) = _packages((await fire_due(package_due)).fired)
    assert _packages((await fire_due(package_due + timedelta(hours=1))).fired) == []

    assert alert.case_id == shelter.case_id
    assert alert.due_at == package_due
    assert alert.notify.value == "case_coordinator"
    assert [u.referral_id for u in alert.unaccepted] == [legal_aid.referral_id]
    (queued,) = [e for e in await outbox() if isinstance(e.data, PackageDeadlineMissed)]
    assert queued.id == package_event_id(shelter.case_id)


async def test_a_case_whose_every_referral_was_accepted_raises_nothing(
    monitor, fire_due, new_referral, outbox
):
    shelter, legal_aid = _two_referrals_of_one_case(new_referral)
    package_due = shelter.requested_at + timedelta(hours=72)
    for referral in (shelter, legal_aid):
        await monitor.deliver(referral.requested(package_due_at=package_due))
        await monitor.deliver(referral.fact(ReferralAccepted, referral.at_percent(50)))

    await fire_due(package_due + timedelta(hours=1))

    assert _packages(await outbox()) == []
    async with monitor.service.db.pool.acquire() as conn:
        state = await conn.fetchval(
            "SELECT state FROM case_packages WHERE case_id = $1", shelter.case_id
        )
    assert state == "met"


async def test_a_declined_referral_is_not_counted_but_its_replacement_is(
    monitor, fire_due, new_referral, outbox
):
    first = new_referral()
    package_due = first.requested_at + timedelta(hours=72)
    await monitor.deliver(first.requested(package_due_at=package_due))
    await monitor.deliver(first.fact(ReferralDeclined, first.at_percent(10), reason="at_capacity"))
    second = type(first)(uuid.uuid4(), first.case_id, first.at_percent(10), first.due_at)
    await monitor.deliver(second.requested(package_due_at=package_due))

    (alert,) = _packages((await fire_due(package_due)).fired)

    assert [u.referral_id for u in alert.unaccepted] == [second.referral_id]

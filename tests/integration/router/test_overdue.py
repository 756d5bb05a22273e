"""A back-dated identification: referrals with their window from now, and no withdrawal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_contracts import (
    DeadlineMissed,
    Envelope,
    RecipientRole,
    ReferralRequested,
    ServiceType,
)

pytestmark = pytest.mark.integration


async def test_a_case_identified_days_ago_is_referred_from_now_and_its_lateness_recorded(
    router, case_opened, outbox, clock
):
    opened = case_opened()
    clock.at = opened.data.identified_at + timedelta(days=12)

    await router.deliver(opened)

    sent = [e for _, e in await outbox(router) if isinstance(e, ReferralRequested)]
    assert len(sent) >= 4
    for requested in sent:
        assert requested.requested_at == clock.at
        assert requested.overdue_since is not None
        assert requested.overdue_since < clock.at
        assert requested.due_at > clock.at


async def test_the_overdue_escalation_does_not_withdraw_the_provider(
    router, case_opened, outbox, referrals, clock
):
    opened = case_opened()
    clock.at = opened.data.identified_at + timedelta(days=12)
    await router.deliver(opened)
    (shelter,) = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.service is ServiceType.SAFE_SHELTER
    ]
    queued = len(await outbox(router))

    late = DeadlineMissed(
        referral_id=shelter.referral_id,
        case_id=shelter.case_id,
        provider_id=shelter.provider_id,
        service=shelter.service,
        requested_at=shelter.requested_at,
        due_at=shelter.overdue_since,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=clock.at,
        escalation_level=1,
        overdue_at_request=True,
    )
    await router.deliver(
        Envelope.wrap(late, event_id=uuid.uuid4(), time=clock.at, source="/lindung/sla-monitor")
    )

    assert (await outbox(router))[queued:] == []
    row = next(r for r in await referrals(router) if r["referral_id"] == shelter.referral_id)
    assert row["status"] == "requested"

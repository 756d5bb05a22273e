"""A coordinator's pause and resume, applied by the router and passed to the sla-monitor."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_contracts import (
    ClockAction,
    ClockChangeRequested,
    DeadlineMissed,
    Envelope,
    RecipientRole,
    ReferralPaused,
    ReferralResumed,
    ServiceType,
)

pytestmark = pytest.mark.integration


def _clock(referral, action: ClockAction, at) -> Envelope[ClockChangeRequested]:
    payload = ClockChangeRequested(
        request_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        action=action,
        coordinator_id="coordinator-sel",
        reason="child_in_hospital",
        at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def _shelter(router, case_opened, outbox):
    await router.deliver(case_opened())
    (shelter,) = [
        e
        for _, e in await outbox(router)
        if getattr(e, "service", None) is ServiceType.SAFE_SHELTER
    ]
    return shelter


async def test_pause_and_resume_move_the_deadline_and_are_passed_on(
    router, case_opened, outbox, referrals
):
    shelter = await _shelter(router, case_opened, outbox)
    queued = len(await outbox(router))
    paused_at = shelter.requested_at + timedelta(minutes=30)
    resumed_at = paused_at + timedelta(hours=2)

    await router.deliver(_clock(shelter, ClockAction.PAUSE, paused_at))
    await router.deliver(_clock(shelter, ClockAction.PAUSE, paused_at))  # already paused
    await router.deliver(_clock(shelter, ClockAction.RESUME, resumed_at))

    paused, resumed = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(paused, ReferralPaused)
    assert (paused.referral_id, paused.at, paused.coordinator_id) == (
        shelter.referral_id,
        paused_at,
        "coordinator-sel",
    )
    assert isinstance(resumed, ReferralResumed)
    assert (resumed.paused_at, resumed.at) == (paused_at, resumed_at)
    row = next(r for r in await referrals(router) if r["referral_id"] == shelter.referral_id)
    assert row["due_at"] == shelter.due_at + timedelta(hours=2)
    assert row["paused_at"] is None
    async with router.service.db.pool.acquire() as conn:
        history = await conn.fetch(
            "SELECT action FROM clock_changes WHERE referral_id = $1 ORDER BY at",
            shelter.referral_id,
        )
    assert [r["action"] for r in history] == ["pause", "resume"]


async def test_a_paused_referral_is_not_withdrawn_when_an_escalation_overtakes_the_pause(
    router, case_opened, outbox, referrals
):
    shelter = await _shelter(router, case_opened, outbox)
    await router.deliver(_clock(shelter, ClockAction.PAUSE, shelter.requested_at))
    queued = len(await outbox(router))
    missed = DeadlineMissed(
        referral_id=shelter.referral_id,
        case_id=shelter.case_id,
        provider_id=shelter.provider_id,
        service=shelter.service,
        requested_at=shelter.requested_at,
        due_at=shelter.due_at,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=shelter.due_at,
        escalation_level=1,
    )
    await router.deliver(
        Envelope.wrap(missed, event_id=uuid.uuid4(), time=shelter.due_at, source="/lindung/sla")
    )

    assert (await outbox(router))[queued:] == []
    row = next(r for r in await referrals(router) if r["referral_id"] == shelter.referral_id)
    assert row["status"] == "requested"

"""A coordinator sends a referral to another provider: the router withdraws it and asks."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lindung_contracts import (
    Envelope,
    NoProviderAvailable,
    ReasonCode,
    ReferralCancelled,
    ReferralReassignmentRequested,
    ReferralRequested,
    ReferralRerouted,
    ResponseKind,
    ServiceType,
)

pytestmark = pytest.mark.integration

COORDINATOR = "coordinator-sel"


def _reassign(referral, provider_id: str | None, at) -> Envelope[ReferralReassignmentRequested]:
    payload = ReferralReassignmentRequested(
        request_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        coordinator_id=COORDINATOR,
        provider_id=provider_id,
        reason=ReasonCode.COORDINATOR_ARRANGED,
        at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def _shelter(router, case_opened, outbox):
    await router.deliver(case_opened())
    (shelter,) = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.service is ServiceType.SAFE_SHELTER
    ]
    return shelter


async def _row(router, referral_id):
    async with router.service.db.pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM referrals WHERE referral_id = $1", referral_id)


async def test_a_referral_moves_to_the_chosen_provider_once(router, case_opened, outbox):
    shelter = await _shelter(router, case_opened, outbox)
    queued = len(await outbox(router))
    at = shelter.requested_at + timedelta(hours=2)
    request = _reassign(shelter, "shelter-b", at)

    await router.deliver(request)
    # The same request again (a redelivery under a new record), and a second one after it.
    again = Envelope.wrap(request.data, event_id=uuid.uuid4(), time=at, source="/lindung/intake")
    await router.deliver(again)
    await router.deliver(_reassign(shelter, "shelter-a", at + timedelta(minutes=1)))

    rerouted, requested = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert (rerouted.referral_id, rerouted.provider_id, rerouted.new_provider_id) == (
        shelter.referral_id,
        "shelter-a",
        "shelter-b",
    )
    assert rerouted.reason_code is ReasonCode.COORDINATOR_ARRANGED
    assert rerouted.coordinator_id == COORDINATOR
    assert rerouted.at == at
    assert isinstance(requested, ReferralRequested)
    assert requested.referral_id == rerouted.new_referral_id
    assert (requested.provider_id, requested.attempt) == ("shelter-b", 2)
    assert requested.matched_by == f"chosen by case coordinator {COORDINATOR}"
    # A fresh window from the policy (4 h for a shelter tonight), counted from the request.
    assert shelter.urgent
    assert (requested.requested_at, requested.due_at) == (at, at + timedelta(hours=4))
    assert (await _row(router, shelter.referral_id))["status"] == "withdrawn"
    async with router.service.db.pool.acquire() as conn:
        kept = await conn.fetch("SELECT * FROM reassignments")
    assert [(r["chosen_provider_id"], r["asked_provider_id"], r["reason"]) for r in kept] == [
        ("shelter-b", "shelter-b", "coordinator_arranged")
    ]


async def test_an_accepted_referral_stays_with_its_provider(
    router, case_opened, outbox, provider_responded
):
    shelter = await _shelter(router, case_opened, outbox)
    await router.deliver(provider_responded(shelter, ResponseKind.ACCEPTED))
    queued = len(await outbox(router))

    await router.deliver(_reassign(shelter, "shelter-b", shelter.requested_at + timedelta(hours=1)))

    assert (await outbox(router))[queued:] == []
    assert (await _row(router, shelter.referral_id))["status"] == "accepted"


async def test_a_provider_that_does_not_offer_the_service_is_replaced_by_the_next_suitable(
    router, case_opened, outbox
):
    shelter = await _shelter(router, case_opened, outbox)
    queued = len(await outbox(router))

    await router.deliver(_reassign(shelter, "clinic-1", shelter.requested_at))

    rerouted, requested = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert requested.provider_id == "shelter-b"
    assert requested.matched_by == (
        f"case coordinator {COORDINATOR} chose clinic-1, which does not offer safe_shelter; "
        "the next suitable provider instead: serves selangor"
    )
    assert rerouted.new_provider_id == "shelter-b"


async def test_a_provider_asked_before_may_be_chosen_again(
    router, case_opened, outbox, provider_responded
):
    shelter = await _shelter(router, case_opened, outbox)
    await router.deliver(
        provider_responded(shelter, ResponseKind.DECLINED, reason=ReasonCode.AT_CAPACITY)
    )
    declined_rerouted, second = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRerouted | ReferralRequested) and e.service is shelter.service
    ][1:]
    assert declined_rerouted.reason_code is ReasonCode.AT_CAPACITY
    assert second.provider_id == "shelter-b"
    queued = len(await outbox(router))

    # Shelter A was full this morning; on the phone tonight it has a bed.
    await router.deliver(_reassign(second, "shelter-a", second.requested_at + timedelta(hours=6)))

    rerouted, third = [e for _, e in (await outbox(router))[queued:]]
    assert (rerouted.referral_id, rerouted.new_provider_id) == (second.referral_id, "shelter-a")
    assert (third.provider_id, third.attempt) == ("shelter-a", 3)


async def test_with_nobody_suitable_left_the_referral_ends_and_the_service_is_unmet(
    router, case_opened, outbox, provider_responded
):
    shelter = await _shelter(router, case_opened, outbox)
    await router.deliver(
        provider_responded(shelter, ResponseKind.DECLINED, reason=ReasonCode.AT_CAPACITY)
    )
    second = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.service is shelter.service
    ][-1]
    queued = len(await outbox(router))

    await router.deliver(_reassign(second, "shelter-nowhere", second.requested_at))

    cancelled, unmet = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(cancelled, ReferralCancelled)
    assert (cancelled.referral_id, cancelled.reason_code, cancelled.coordinator_id) == (
        second.referral_id,
        ReasonCode.COORDINATOR_ARRANGED,
        COORDINATOR,
    )
    assert isinstance(unmet, NoProviderAvailable)
    assert unmet.tried == ("shelter-a", "shelter-b")
    async with router.service.db.pool.acquire() as conn:
        kept = await conn.fetchrow("SELECT * FROM reassignments")
    assert (kept["chosen_provider_id"], kept["asked_provider_id"]) == ("shelter-nowhere", None)

"""A coordinator closes a case: the router cancels what awaits acceptance, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from lindung_contracts import (
    REFERRALS,
    CaseClosed,
    CaseCloseRequested,
    CaseOutcome,
    Envelope,
    ReasonCode,
    ReferralCancelled,
    ReferralRequested,
    ResponseKind,
    ServiceType,
    decode,
)

pytestmark = pytest.mark.integration

COORDINATOR = "coordinator-sel"


def _close(case_id, at, *, outcome=CaseOutcome.TRANSFERRED, request_id=None):
    payload = CaseCloseRequested(
        request_id=request_id or uuid.uuid4(),
        case_id=case_id,
        coordinator_id=COORDINATOR,
        outcome=outcome,
        reason=None,
        at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def _requested(router, case_opened, outbox):
    await router.deliver(case_opened())
    return {e.service: e for _, e in await outbox(router) if isinstance(e, ReferralRequested)}


async def _statuses(router, case_id):
    async with router.service.db.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT referral_id, status, status_reason FROM referrals WHERE case_id = $1", case_id
        )
    return {row["referral_id"]: (row["status"], row["status_reason"]) for row in rows}


async def test_closing_cancels_what_awaits_acceptance_once_and_leaves_what_is_under_way(
    router, case_opened, outbox, provider_responded
):
    asked = await _requested(router, case_opened, outbox)
    shelter = asked[ServiceType.SAFE_SHELTER]
    case_id = shelter.case_id
    await router.deliver(provider_responded(shelter, ResponseKind.ACCEPTED))
    queued = len(await outbox(router))
    at = shelter.requested_at + timedelta(hours=3)
    request = _close(case_id, at)

    await router.deliver(request)
    # The same request again under a new record, and a second request after it.
    again = Envelope.wrap(request.data, event_id=uuid.uuid4(), time=at, source="/lindung/intake")
    await router.deliver(again)
    await router.deliver(_close(case_id, at + timedelta(minutes=5), outcome=CaseOutcome.MERGED))

    events = [e for _, e in (await outbox(router))[queued:]]
    *cancelled, closed = events
    waiting = {r.referral_id for s, r in asked.items() if s is not ServiceType.SAFE_SHELTER}
    assert all(isinstance(e, ReferralCancelled) for e in cancelled)
    assert {e.referral_id for e in cancelled} == waiting
    assert {(e.reason_code, e.coordinator_id, e.at) for e in cancelled} == {
        (ReasonCode.CASE_CLOSED, COORDINATOR, at)
    }
    assert isinstance(closed, CaseClosed)
    assert (closed.outcome, closed.closed_at, closed.request_id) == (
        CaseOutcome.TRANSFERRED,
        at,
        request.data.request_id,
    )
    assert set(closed.cancelled) == waiting
    assert closed.continuing == (shelter.referral_id,)
    statuses = await _statuses(router, case_id)
    assert statuses.pop(shelter.referral_id) == ("accepted", None)
    assert set(statuses.values()) == {("withdrawn", "case_closed")}
    async with router.service.db.pool.acquire() as conn:
        kept = await conn.fetch("SELECT * FROM case_closures")
    assert [(r["case_id"], r["outcome"]) for r in kept] == [(case_id, "transferred")]


async def test_a_closed_case_routes_nothing_more(router, case_opened, outbox, provider_responded):
    asked = await _requested(router, case_opened, outbox)
    shelter = asked[ServiceType.SAFE_SHELTER]
    await router.deliver(provider_responded(shelter, ResponseKind.ACCEPTED))
    await router.deliver(_close(shelter.case_id, shelter.requested_at + timedelta(hours=1)))
    queued = len(await outbox(router))

    # The shelter, which has the child, gives up: nobody else is asked for a closed case.
    await router.deliver(
        provider_responded(
            shelter,
            ResponseKind.FAILED,
            reason=ReasonCode.CHILD_MISSING,
            at=shelter.requested_at + timedelta(hours=2),
        )
    )
    # A late answer to a cancelled referral changes nothing.
    legal = asked[ServiceType.LEGAL_AID]
    await router.deliver(provider_responded(legal, ResponseKind.ACCEPTED))

    (ended,) = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(ended, ReferralCancelled)
    assert (ended.referral_id, ended.reason_code) == (
        shelter.referral_id,
        ReasonCode.CHILD_MISSING,
    )
    statuses = await _statuses(router, shelter.case_id)
    assert statuses[shelter.referral_id][0] == "failed"
    assert statuses[legal.referral_id] == ("withdrawn", "case_closed")
    assert len(statuses) == len(asked)


async def test_a_case_the_router_does_not_know_is_left_alone(router, outbox, clock):
    await router.deliver(_close(uuid.uuid4(), clock.now()))

    assert await outbox(router) == []


async def test_the_closing_reaches_the_broker_after_its_cancellations(
    stack, router, case_opened, outbox
):
    asked = await _requested(router, case_opened, outbox)
    case_id = next(iter(asked.values())).case_id
    request = _close(case_id, next(iter(asked.values())).requested_at + timedelta(hours=1))
    await router.deliver(request)
    await router.deliver(request)  # the same record again: absorbed

    consumer = AIOKafkaConsumer(
        REFERRALS.name,
        **stack.kafka(),
        group_id=f"test-router-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[bytes, object]] = []
    try:
        async with asyncio.timeout(60):
            while not any(isinstance(e, CaseClosed) for _, e in seen):
                batches = await consumer.getmany(timeout_ms=500)
                for message in (m for ms in batches.values() for m in ms):
                    event = decode(message.value, message.headers).data
                    # The topic also carries capacity figures, which concern no case.
                    if getattr(event, "case_id", None) == case_id:
                        seen.append((message.key, event))
    finally:
        await consumer.stop()

    *before, (_, closed) = seen
    cancelled = [e for _, e in before if isinstance(e, ReferralCancelled)]
    assert {e.referral_id for e in cancelled} == {r.referral_id for r in asked.values()}
    assert isinstance(closed, CaseClosed)
    assert set(closed.cancelled) == {r.referral_id for r in asked.values()}
    assert {key for key, _ in seen} == {str(case_id).encode()}

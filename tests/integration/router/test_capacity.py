"""Live capacity in the router, against the real PostgreSQL: full shelters are skipped.

The conftest directory has two shelters in Selangor: shelter-a (priority 1, asked first)
and shelter-b (priority 2).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Record
from lindung_contracts import (
    PROVIDER_RESPONSES,
    CapacityCause,
    CapacityChanged,
    CapacityReported,
    CapacityUnit,
    Envelope,
    NoProviderAvailable,
    PassedOver,
    PassedOverCode,
    ReferralReassignmentRequested,
    ReferralRequested,
    ResponseKind,
    ServiceType,
    encode,
)
from lindung_contracts import ReasonCode as Why

pytestmark = pytest.mark.integration

S = ServiceType
IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # as in conftest
NOW = IDENTIFIED + timedelta(minutes=5)  # the conftest clock


def report(provider_id: str, available: int, *, at: datetime, maximum: int | None = 4):
    payload = CapacityReported(
        report_id=uuid.uuid4(),
        provider_id=provider_id,
        service=S.SAFE_SHELTER,
        unit=CapacityUnit.BEDS,
        available=available,
        maximum=maximum,
        at=at,
        reported_by="key-" + provider_id,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def shelter_referral(router, case_opened, outbox) -> ReferralRequested:
    """Open a case; the shelter referral the router made for it."""
    envelope = case_opened()
    await router.deliver(envelope)
    (shelter,) = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested)
        and e.case_id == envelope.data.case_id
        and e.service is S.SAFE_SHELTER
    ]
    return shelter


async def changes(router, outbox) -> list[tuple[bytes, CapacityChanged]]:
    return [(k, e) for k, e in await outbox(router) if isinstance(e, CapacityChanged)]


async def figure(router, provider_id: str) -> dict | None:
    async with router.service.db.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM capacity WHERE provider_id = $1 AND service = 'safe_shelter'",
            provider_id,
        )
    return dict(row) if row is not None else None


async def test_a_full_shelter_is_skipped_and_one_that_frees_a_bed_gets_the_next(
    router, case_opened, outbox
):
    full = report("shelter-a", 0, at=NOW - timedelta(minutes=30))
    record = encode(full)
    # Through the consume path, as it comes off the provider-responses topic.
    await router.deliver_records(
        Record(topic=PROVIDER_RESPONSES.name, partition=0, offset=0, key=record.key,
               value=record.value, headers=record.headers),
    )  # fmt: skip

    first = await shelter_referral(router, case_opened, outbox)
    assert first.provider_id == "shelter-b"
    assert PassedOver(provider_id="shelter-a", reason=PassedOverCode.AT_CAPACITY) in (
        first.passed_over
    )

    await router.deliver(report("shelter-a", 1, at=NOW - timedelta(minutes=1)))
    second = await shelter_referral(router, case_opened, outbox)
    assert second.provider_id == "shelter-a"
    assert second.passed_over == ()

    published = await changes(router, outbox)
    assert [(k, e.available, e.cause) for k, e in published] == [
        (b"shelter-a", 0, CapacityCause.REPORTED),
        (b"shelter-a", 1, CapacityCause.REPORTED),
    ]
    assert published[-1][1].states == ("selangor",)
    assert published[-1][1].fresh_until == NOW - timedelta(minutes=1) + timedelta(hours=12)
    stored = await figure(router, "shelter-a")
    assert stored is not None
    assert (stored["available"], stored["maximum"], stored["unit"]) == (1, 4, "beds")


async def test_a_decline_at_capacity_leaves_none_free_so_the_next_case_skips_it(
    router, case_opened, provider_responded, outbox
):
    first = await shelter_referral(router, case_opened, outbox)
    assert first.provider_id == "shelter-a"  # nothing known: the directory's order
    await router.deliver(provider_responded(first, ResponseKind.DECLINED, reason=Why.AT_CAPACITY))
    rerouted = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.case_id == first.case_id and e.attempt == 2
    ]
    assert [e.provider_id for e in rerouted] == ["shelter-b"]

    stored = await figure(router, "shelter-a")
    assert stored is not None
    assert (stored["available"], stored["cause"]) == (0, "declined_at_capacity")
    ((key, change),) = await changes(router, outbox)
    assert key == b"shelter-a"
    assert (change.available, change.cause) == (0, CapacityCause.DECLINED_AT_CAPACITY)

    following = await shelter_referral(router, case_opened, outbox)
    assert following.provider_id == "shelter-b"
    assert following.passed_over == (
        PassedOver(provider_id="shelter-a", reason=PassedOverCode.AT_CAPACITY),
    )


async def test_a_decline_for_another_reason_leaves_the_figure_alone(
    router, case_opened, provider_responded, outbox
):
    first = await shelter_referral(router, case_opened, outbox)
    await router.deliver(provider_responded(first, ResponseKind.DECLINED, reason=Why.LANGUAGE))

    assert await figure(router, "shelter-a") is None
    assert await changes(router, outbox) == []


async def test_a_stale_figure_counts_as_unknown(router, case_opened, outbox):
    # Full, but 13 hours ago: older than the policy's 12 h.
    await router.deliver(report("shelter-a", 0, at=NOW - timedelta(hours=13)))

    shelter = await shelter_referral(router, case_opened, outbox)

    assert shelter.provider_id == "shelter-a"
    assert shelter.passed_over == ()


async def test_fresh_free_places_rank_before_an_unknown_figure(router, case_opened, outbox):
    # shelter-a (priority 1) has said nothing; shelter-b (priority 2) has two beds free.
    await router.deliver(report("shelter-b", 2, at=NOW - timedelta(hours=1)))

    shelter = await shelter_referral(router, case_opened, outbox)

    assert shelter.provider_id == "shelter-b"
    assert shelter.passed_over == ()  # not passed over for a reason: ranked lower


async def test_an_acceptance_takes_a_place_and_the_last_one_fills_the_shelter(
    router, case_opened, provider_responded, outbox
):
    await router.deliver(report("shelter-a", 1, at=NOW - timedelta(minutes=20)))
    first = await shelter_referral(router, case_opened, outbox)
    assert first.provider_id == "shelter-a"

    await router.deliver(provider_responded(first, ResponseKind.ACCEPTED))

    stored = await figure(router, "shelter-a")
    assert stored is not None
    assert (stored["available"], stored["cause"]) == (0, "accepted_referral")
    # The count still dates from the report: taking a place makes it no newer.
    assert stored["as_of"] == NOW - timedelta(minutes=20)
    assert [e.cause for _, e in await changes(router, outbox)] == [
        CapacityCause.REPORTED,
        CapacityCause.ACCEPTED_REFERRAL,
    ]
    following = await shelter_referral(router, case_opened, outbox)
    assert following.provider_id == "shelter-b"


async def test_a_late_or_repeated_report_changes_nothing(router, outbox):
    newer = report("shelter-a", 3, at=NOW - timedelta(minutes=5))
    await router.deliver(newer)
    # The same report again under a new event id, and one made before it that came late.
    await router.deliver(newer.model_copy(update={"id": uuid.uuid4()}))
    await router.deliver(report("shelter-a", 0, at=NOW - timedelta(minutes=10)))

    assert [e.available for _, e in await changes(router, outbox)] == [3]
    stored = await figure(router, "shelter-a")
    assert stored is not None
    assert stored["available"] == 3


def reassign(referral, provider_id: str | None, at: datetime):
    payload = ReferralReassignmentRequested(
        request_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        coordinator_id="coordinator-sel",
        provider_id=provider_id,
        reason=Why.COORDINATOR_ARRANGED,
        at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def test_the_next_suitable_provider_a_coordinator_asks_for_is_not_a_full_one(
    router, case_opened, outbox
):
    first = await shelter_referral(router, case_opened, outbox)
    assert first.provider_id == "shelter-a"
    await router.deliver(report("shelter-b", 0, at=NOW - timedelta(minutes=2)))

    await router.deliver(reassign(first, None, NOW + timedelta(minutes=1)))

    events = [e for _, e in await outbox(router)]
    (unmet,) = [e for e in events if isinstance(e, NoProviderAvailable)]
    assert (unmet.case_id, unmet.service) == (first.case_id, S.SAFE_SHELTER)


async def test_a_provider_the_coordinator_names_is_asked_whatever_its_figure(
    router, case_opened, outbox
):
    # They have just phoned it: a person's arrangement is fresher than any figure.
    first = await shelter_referral(router, case_opened, outbox)
    await router.deliver(report("shelter-b", 0, at=NOW - timedelta(minutes=2)))

    await router.deliver(reassign(first, "shelter-b", NOW + timedelta(minutes=1)))

    asked = [
        e
        for _, e in await outbox(router)
        if isinstance(e, ReferralRequested) and e.case_id == first.case_id and e.attempt == 2
    ]
    assert [e.provider_id for e in asked] == ["shelter-b"]

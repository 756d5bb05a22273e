"""The router's handlers against the real PostgreSQL: referrals stored, events in the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_common import Record
from lindung_contracts import (
    CASES,
    CapacityChanged,
    DeadlineMissed,
    DetentionEscalated,
    Envelope,
    ExploitationIndicator,
    Location,
    NationalityStatus,
    NoProviderAvailable,
    Outcome,
    RecipientRole,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralDeclined,
    ReferralRequested,
    ReferralRerouted,
    ReferralStarted,
    ResponseKind,
    ServiceType,
    encode,
)
from lindung_contracts import (
    ReasonCode as Why,
)

pytestmark = pytest.mark.integration

S = ServiceType
IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # as in conftest
NOW = IDENTIFIED + timedelta(minutes=5)  # the conftest clock


def requested_by_service(events):
    return {e.service: e for _, e in events if isinstance(e, ReferralRequested)}


async def test_a_case_is_referred_for_each_needed_service(router, case_opened, outbox, referrals):
    envelope = case_opened(location=Location.POLICE_LOCKUP)
    await router.deliver(envelope)

    events = await outbox(router)
    assert {key for key, _ in events} == {str(envelope.data.case_id).encode()}
    sent = requested_by_service(events)
    assert set(sent) == {S.CHILD_PROTECTOR, S.SAFE_SHELTER, S.HEALTH, S.LEGAL_AID}
    assert sent[S.SAFE_SHELTER].provider_id == "shelter-a"
    # Detained: the urgent windows, counted from identification, not from arrival.
    assert sent[S.CHILD_PROTECTOR].urgent
    assert sent[S.CHILD_PROTECTOR].due_at == IDENTIFIED + timedelta(minutes=15)
    assert sent[S.SAFE_SHELTER].due_at == IDENTIFIED + timedelta(hours=4)
    assert sent[S.HEALTH].due_at == IDENTIFIED + timedelta(hours=48)
    assert all(e.policy_version == "lindung-default-2026.2" for e in sent.values())
    assert all(len(e.escalation) == 5 for e in sent.values())

    stored = {row["service"]: row for row in await referrals(router)}
    assert set(stored) == {s.value for s in sent}
    for service, event in sent.items():
        row = stored[service.value]
        assert row["referral_id"] == event.referral_id
        assert row["provider_id"] == event.provider_id
        assert row["status"] == "requested"
        assert row["attempt"] == 1
        assert row["due_at"] == event.due_at
        assert tuple(row["reasons"]) == event.reasons


async def test_a_service_nobody_offers_is_reported_at_once(router, case_opened, outbox):
    envelope = case_opened(nationality_status=NationalityStatus.REFUGEE)
    await router.deliver(envelope)

    events = [e for _, e in await outbox(router)]
    (unmet,) = [e for e in events if isinstance(e, NoProviderAvailable)]
    assert unmet.service is S.UNHCR
    assert unmet.tried == ()
    assert any("refugee" in r for r in unmet.reasons)
    assert len([e for e in events if isinstance(e, ReferralRequested)]) == 4


async def test_the_same_case_opened_twice_changes_nothing(router, case_opened, outbox, referrals):
    envelope = case_opened()
    await router.deliver(envelope)
    before = (await outbox(router), await referrals(router))

    await router.deliver(envelope)  # redelivered
    # The same case under a new event id (intake published it twice).
    again = envelope.model_copy(update={"id": uuid.uuid4()})
    await router.deliver(again)

    assert (await outbox(router), await referrals(router)) == before


async def test_the_consume_path_decodes_and_routes_a_record(router, case_opened, referrals):
    envelope = case_opened()
    record = encode(envelope)
    await router.deliver_records(
        Record(topic=CASES.name, partition=0, offset=0, key=record.key, value=record.value,
               headers=record.headers),
    )  # fmt: skip
    assert len(await referrals(router)) == 4


async def open_case(router, case_opened, outbox, **situation):
    envelope = case_opened(**situation)
    await router.deliver(envelope)
    return requested_by_service(await outbox(router))


async def test_accept_start_complete(router, case_opened, provider_responded, outbox, referrals):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    queued = len(await outbox(router))

    for response in (ResponseKind.ACCEPTED, ResponseKind.STARTED):
        await router.deliver(provider_responded(shelter, response))
    await router.deliver(
        provider_responded(
            shelter,
            ResponseKind.COMPLETED,
            outcome=Outcome.NOT_DELIVERED,
            outcome_reason=Why.CANNOT_REACH_CHILD,
        )
    )

    events = [e for _, e in (await outbox(router))[queued:]]
    assert [type(e) for e in events] == [ReferralAccepted, ReferralStarted, ReferralCompleted]
    assert all(e.referral_id == shelter.referral_id for e in events)
    assert (events[-1].outcome, events[-1].outcome_reason) == (
        Outcome.NOT_DELIVERED,
        Why.CANNOT_REACH_CHILD,
    )
    row = next(r for r in await referrals(router) if r["referral_id"] == shelter.referral_id)
    assert row["status"] == "completed"


async def test_decline_reroutes_to_another_provider(
    router, case_opened, provider_responded, outbox, referrals
):
    shelter = (await open_case(router, case_opened, outbox, safe_place_tonight=False))[
        S.SAFE_SHELTER
    ]
    queued = len(await outbox(router))
    answered_at = IDENTIFIED + timedelta(hours=1)

    answer = provider_responded(
        shelter, ResponseKind.DECLINED, reason=Why.AT_CAPACITY, at=answered_at
    )
    await router.deliver(answer)

    full, declined, rerouted, requested = [e for _, e in (await outbox(router))[queued:]]
    # "At capacity": the router's figure for the shelter is now 0 (see test_capacity).
    assert isinstance(full, CapacityChanged)
    assert (full.provider_id, full.available) == (shelter.provider_id, 0)
    assert isinstance(declined, ReferralDeclined)
    assert declined.reason == Why.AT_CAPACITY
    assert isinstance(rerouted, ReferralRerouted)
    assert (rerouted.reason_code, rerouted.coordinator_id) == (Why.AT_CAPACITY, None)
    assert isinstance(requested, ReferralRequested)
    assert (rerouted.referral_id, rerouted.new_referral_id) == (
        shelter.referral_id,
        requested.referral_id,
    )
    assert (requested.provider_id, requested.attempt) == ("shelter-b", 2)
    assert requested.urgent
    assert requested.requested_at == answered_at
    assert requested.due_at == answered_at + timedelta(hours=4)

    rows = [r for r in await referrals(router) if r["service"] == "safe_shelter"]
    assert [(r["provider_id"], r["attempt"], r["status"]) for r in rows] == [
        ("shelter-a", 1, "declined"),
        ("shelter-b", 2, "requested"),
    ]
    assert rows[0]["status_reason"] == "at_capacity"


async def test_decline_with_nobody_left_reports_no_provider(
    router, case_opened, provider_responded, outbox
):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    await router.deliver(provider_responded(shelter, ResponseKind.DECLINED, reason=Why.AT_CAPACITY))
    second = requested_by_service((await outbox(router))[-1:])[S.SAFE_SHELTER]
    queued = len(await outbox(router))

    await router.deliver(provider_responded(second, ResponseKind.DECLINED, reason=Why.AT_CAPACITY))

    full, declined, unmet = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(full, CapacityChanged)
    assert isinstance(declined, ReferralDeclined)
    assert isinstance(unmet, NoProviderAvailable)
    assert unmet.service is S.SAFE_SHELTER
    assert unmet.tried == ("shelter-a", "shelter-b")


async def test_a_failure_after_acceptance_reroutes(router, case_opened, provider_responded, outbox):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    await router.deliver(provider_responded(shelter, ResponseKind.ACCEPTED))
    queued = len(await outbox(router))

    await router.deliver(provider_responded(shelter, ResponseKind.FAILED, reason=Why.CHILD_MISSING))

    rerouted, requested = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert "reported failure" in rerouted.reason
    assert isinstance(requested, ReferralRequested)
    assert requested.provider_id == "shelter-b"


async def test_a_failure_with_no_provider_left_ends_the_referral_and_reports_no_provider(
    router, case_opened, provider_responded, outbox
):
    # The health service has one clinic: when it fails, there is nobody to re-route to.
    health = (await open_case(router, case_opened, outbox))[S.HEALTH]
    queued = len(await outbox(router))

    await router.deliver(provider_responded(health, ResponseKind.FAILED, reason=Why.OTHER))

    ended, unmet = [e for _, e in (await outbox(router))[queued:]]
    # Ended, so its deadline stops: it would otherwise escalate a referral that is over.
    assert isinstance(ended, ReferralCancelled)
    assert ended.referral_id == health.referral_id
    assert ended.reason == "reported failure, no provider left: other"
    assert isinstance(unmet, NoProviderAvailable)
    assert unmet.service is S.HEALTH


async def test_answers_that_are_not_allowed_change_nothing(
    router, case_opened, provider_responded, outbox, referrals
):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    accept = provider_responded(shelter, ResponseKind.ACCEPTED)
    await router.deliver(accept)
    before = (await outbox(router), await referrals(router))

    ignored = [
        accept,  # redelivered
        provider_responded(shelter, ResponseKind.ACCEPTED),  # a second accept
        provider_responded(shelter, ResponseKind.DECLINED, reason=Why.OTHER),
        provider_responded(shelter, ResponseKind.COMPLETED, provider_id="shelter-b"),
    ]
    for answer in ignored:
        await router.deliver(answer)

    assert (await outbox(router), await referrals(router)) == before


async def test_a_wrong_providers_decline_does_not_reroute(
    router, case_opened, provider_responded, outbox, referrals
):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    before = (await outbox(router), await referrals(router))

    await router.deliver(
        provider_responded(
            shelter, ResponseKind.DECLINED, provider_id="shelter-b", reason=Why.OTHER
        )
    )

    assert (await outbox(router), await referrals(router)) == before


async def test_urgent_health_after_sexual_violence_is_due_within_the_prophylaxis_window(
    router, case_opened, outbox
):
    sent = await open_case(
        router,
        case_opened,
        outbox,
        indicators=(ExploitationIndicator.SEXUAL_VIOLENCE,),
        sexual_violence_at=IDENTIFIED - timedelta(hours=71),
    )
    assert sent[S.HEALTH].urgent
    assert sent[S.HEALTH].due_at == IDENTIFIED + timedelta(hours=1)


def _missed(referral, level: int = 1) -> Envelope[DeadlineMissed]:
    """The sla-monitor's escalation of a referral's deadline, at `level`."""
    payload = DeadlineMissed(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        requested_at=referral.requested_at,
        due_at=referral.due_at,
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=referral.due_at,
        escalation_level=level,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=NOW, source="/lindung/sla-monitor")


async def test_a_provider_silent_past_its_deadline_is_withdrawn_and_the_next_asked(
    router, case_opened, outbox, referrals
):
    shelter = (await open_case(router, case_opened, outbox))[S.SAFE_SHELTER]
    queued = len(await outbox(router))

    await router.deliver(_missed(shelter))
    await router.deliver(_missed(shelter, level=2))  # later levels change nothing more

    rerouted, requested = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(rerouted, ReferralRerouted)
    assert (rerouted.referral_id, rerouted.provider_id) == (shelter.referral_id, "shelter-a")
    assert rerouted.new_provider_id == "shelter-b"
    assert "did not answer before the deadline" in rerouted.reason
    assert rerouted.reason_code is Why.NO_ANSWER
    assert isinstance(requested, ReferralRequested)
    assert (requested.provider_id, requested.attempt) == ("shelter-b", 2)
    # The new provider's window counts from the deadline the first one let pass.
    assert requested.requested_at == shelter.due_at
    stored = {r["referral_id"]: r for r in await referrals(router)}
    assert stored[shelter.referral_id]["status"] == "withdrawn"


async def test_silence_after_an_answer_or_where_the_policy_escalates_changes_nothing(
    router, case_opened, provider_responded, outbox
):
    sent = await open_case(router, case_opened, outbox)
    await router.deliver(provider_responded(sent[S.SAFE_SHELTER], ResponseKind.ACCEPTED))
    queued = len(await outbox(router))

    await router.deliver(_missed(sent[S.SAFE_SHELTER]))  # accepted before it was processed
    await router.deliver(_missed(sent[S.CHILD_PROTECTOR]))  # the policy escalates silence

    assert len(await outbox(router)) == queued


async def test_silence_with_no_provider_left_ends_the_referral_and_reports_no_provider(
    router, case_opened, outbox
):
    health = (await open_case(router, case_opened, outbox))[S.HEALTH]
    queued = len(await outbox(router))

    await router.deliver(_missed(health))

    ended, unmet = [e for _, e in (await outbox(router))[queued:]]
    assert isinstance(ended, ReferralCancelled)
    assert ended.reason.startswith("did not answer before the deadline, no provider left")
    assert ended.reason_code is Why.NO_ANSWER
    assert isinstance(unmet, NoProviderAvailable)
    assert unmet.service is S.HEALTH


async def test_a_detained_child_raises_the_coordinator_s_alert_at_once(router, case_opened, outbox):
    envelope = case_opened(
        location=Location.IMMIGRATION_DETENTION, nationality_status=NationalityStatus.REFUGEE
    )
    await router.deliver(envelope)

    events = [e for _, e in await outbox(router)]
    (alert,) = [e for e in events if isinstance(e, DetentionEscalated)]
    assert events[-1] is alert  # after the referrals it lists
    requested = [e for e in events if isinstance(e, ReferralRequested)]
    assert {(r.referral_id, r.service, r.provider_id, r.due_at) for r in alert.referrals} == {
        (r.referral_id, r.service, r.provider_id, r.due_at) for r in requested
    }
    assert alert.unmet == (S.UNHCR,)  # the test directory has no UNHCR partner
    assert (alert.location, alert.state) == (
        Location.IMMIGRATION_DETENTION,
        envelope.data.situation.state,
    )
    assert alert.notify is RecipientRole.CASE_COORDINATOR
    assert alert.case_id == envelope.data.case_id


async def test_a_child_not_detained_raises_no_detention_alert(router, case_opened, outbox):
    await router.deliver(case_opened(location=Location.HOSPITAL))
    assert not [e for _, e in await outbox(router) if isinstance(e, DetentionEscalated)]


async def test_a_child_s_district_is_matched_first_and_kept_for_re_routes(
    router, case_opened, outbox, referrals
):
    sent = await open_case(router, case_opened, outbox, district="klang")

    shelter = sent[S.SAFE_SHELTER]
    # shelter-b is based in Klang: asked before shelter-a, which comes first by priority.
    assert (shelter.provider_id, shelter.matched_by) == ("shelter-b", "serves klang, selangor")
    async with router.service.db.pool.acquire() as conn:
        kept = await conn.fetchval("SELECT district FROM cases WHERE case_id = $1", shelter.case_id)
    assert kept == "klang"

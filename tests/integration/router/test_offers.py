"""An urgent shelter offered to three shelters at once, against the real PostgreSQL.

The default policy: a detained child's shelter goes to the three best shelters together;
the first acceptance takes it, the other two are withdrawn and told, a second acceptance
changes nothing; silence from all three is one re-route to the next offer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    CapacityChanged,
    ClockAction,
    ClockChangeRequested,
    DeadlineMissed,
    Envelope,
    Location,
    ReasonCode,
    RecipientRole,
    ReferralAccepted,
    ReferralCancelled,
    ReferralDeclined,
    ReferralPaused,
    ReferralReassignmentRequested,
    ReferralRequested,
    ReferralRerouted,
    ReferralResumed,
    ResponseKind,
    ServiceType,
)

pytestmark = pytest.mark.integration

IDENTIFIED = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # as in conftest
NOW = IDENTIFIED + timedelta(minutes=5)


async def offer_shelter(offering, case_opened, outbox) -> list[ReferralRequested]:
    """Open a case of a child in a police lock-up: its shelter referrals, in order."""
    await offering.deliver(case_opened(location=Location.POLICE_LOCKUP))
    return [
        e
        for _, e in await outbox(offering)
        if isinstance(e, ReferralRequested) and e.service is ServiceType.SAFE_SHELTER
    ]


def missed(referral: ReferralRequested, level: int = 1) -> Envelope[DeadlineMissed]:
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


async def statuses(offering, referrals) -> dict[str, tuple[str, str | None]]:
    rows = await referrals(offering)
    return {
        r["provider_id"]: (r["status"], r["status_reason"])
        for r in rows
        if r["service"] == "safe_shelter"
    }


async def test_an_urgent_shelter_is_offered_to_three_at_once(
    offering, case_opened, outbox, referrals
):
    shelters = await offer_shelter(offering, case_opened, outbox)

    assert [s.provider_id for s in shelters] == ["shelter-a", "shelter-b", "shelter-c"]
    first = shelters[0]
    assert {s.offer_id for s in shelters} == {first.referral_id}
    assert {s.offered_to for s in shelters} == {3}
    # One window, one ladder, one attempt; the lateness and the child's details nowhere.
    assert {(s.due_at, s.escalation, s.attempt) for s in shelters} == {
        (IDENTIFIED + timedelta(hours=4), first.escalation, 1)
    }
    assert all(s.child.languages == () and s.child.age_years is None for s in shelters)
    # The offer's own shelters were not passed over; nobody was.
    assert all(s.passed_over == () for s in shelters)
    stored = await referrals(offering)
    assert {r["offer_id"] for r in stored if r["service"] == "safe_shelter"} == {first.referral_id}
    # Services the policy does not mark go to one provider, as before.
    others = [e for _, e in await outbox(offering) if isinstance(e, ReferralRequested)]
    assert all(e.offer_id is None for e in others if e.service is not ServiceType.SAFE_SHELTER)


async def test_the_first_acceptance_takes_it_and_the_others_are_withdrawn(
    offering, case_opened, provider_responded, outbox, referrals
):
    a, b, c = await offer_shelter(offering, case_opened, outbox)
    queued = len(await outbox(offering))

    await offering.deliver(provider_responded(b, ResponseKind.ACCEPTED))

    events = [e for _, e in (await outbox(offering))[queued:]]
    assert isinstance(events[0], ReferralAccepted)
    assert events[0].referral_id == b.referral_id
    withdrawn = events[1:]
    assert all(isinstance(e, ReferralCancelled) for e in withdrawn)
    assert sorted(e.provider_id for e in withdrawn) == ["shelter-a", "shelter-c"]
    assert {e.reason_code for e in withdrawn} == {ReasonCode.TAKEN_ELSEWHERE}
    assert await statuses(offering, referrals) == {
        "shelter-a": ("withdrawn", "taken_elsewhere"),
        "shelter-b": ("accepted", None),
        "shelter-c": ("withdrawn", "taken_elsewhere"),
    }

    # A second acceptance (sent before its provider read the withdrawal) changes nothing.
    await offering.deliver(provider_responded(c, ResponseKind.ACCEPTED))
    await offering.deliver(provider_responded(a, ResponseKind.DECLINED, reason=ReasonCode.OTHER))
    assert len(await outbox(offering)) == queued + 3
    assert (await statuses(offering, referrals))["shelter-c"] == ("withdrawn", "taken_elsewhere")


async def test_a_decline_closes_one_and_the_last_decline_re_offers_once(
    offering, case_opened, provider_responded, outbox, referrals
):
    a, b, c = await offer_shelter(offering, case_opened, outbox)
    queued = len(await outbox(offering))
    full = ReasonCode.AT_CAPACITY

    await offering.deliver(provider_responded(a, ResponseKind.DECLINED, reason=full))
    await offering.deliver(provider_responded(c, ResponseKind.FAILED, reason=ReasonCode.OTHER))
    events = [e for _, e in (await outbox(offering))[queued:]]
    # A decline "at capacity" leaves that shelter's figure at none, offer or not.
    figures = [(e.provider_id, e.available) for e in events if isinstance(e, CapacityChanged)]
    assert figures == [("shelter-a", 0)]
    events = [e for e in events if not isinstance(e, CapacityChanged)]
    # One still asked: a decline and a failure end only their own referral.
    assert [type(e) for e in events] == [ReferralDeclined, ReferralCancelled]
    assert events[1].referral_id == c.referral_id
    seen = len(await outbox(offering))

    await offering.deliver(provider_responded(b, ResponseKind.DECLINED, reason=full))
    events = [e for _, e in (await outbox(offering))[seen:]]
    figures = [(e.provider_id, e.available) for e in events if isinstance(e, CapacityChanged)]
    assert figures == [("shelter-b", 0)]
    events = [e for e in events if not isinstance(e, CapacityChanged)]
    declined, rerouted, requested = events
    assert isinstance(declined, ReferralDeclined)
    assert isinstance(rerouted, ReferralRerouted)
    assert (rerouted.referral_id, rerouted.new_provider_id) == (b.referral_id, "shelter-d")
    # The next offer: the one shelter left, asked on its own, at the next attempt.
    assert isinstance(requested, ReferralRequested)
    assert (requested.provider_id, requested.attempt, requested.offer_id) == ("shelter-d", 2, None)


async def test_silence_from_all_is_one_withdrawal_and_one_re_route(
    offering, case_opened, outbox, referrals
):
    shelters = await offer_shelter(offering, case_opened, outbox)
    queued = len(await outbox(offering))

    # The sla-monitor raises one escalation for the offer, on any one of its referrals.
    await offering.deliver(missed(shelters[1]))
    events = [e for _, e in (await outbox(offering))[queued:]]
    moved = [e for e in events if isinstance(e, ReferralRerouted)]
    asked = [e for e in events if isinstance(e, ReferralRequested)]
    assert sorted(e.provider_id for e in moved) == ["shelter-a", "shelter-b", "shelter-c"]
    assert moved[0].referral_id == shelters[1].referral_id  # the one the escalation named
    assert {e.reason_code for e in moved} == {ReasonCode.NO_ANSWER}
    assert [e.provider_id for e in asked] == ["shelter-d"]
    assert {e.new_referral_id for e in moved} == {asked[0].referral_id}
    # Silence does not report a lateness twice: the escalation told the coordinator.
    assert asked[0].overdue_since is None

    # Another escalation of the same offer (a later level, or a copy) changes nothing more.
    for again in (missed(shelters[0]), missed(shelters[1], level=2)):
        await offering.deliver(again)
    assert len(await outbox(offering)) == queued + len(events)
    assert {s for s, _ in (await statuses(offering, referrals)).values()} == {
        "withdrawn",
        "requested",
    }


async def test_silence_after_one_declined_withdraws_the_others(
    offering, case_opened, provider_responded, outbox, referrals
):
    a, *_ = await offer_shelter(offering, case_opened, outbox)
    # The escalation fired for `a`, whose provider declined just before it was applied.
    await offering.deliver(provider_responded(a, ResponseKind.DECLINED, reason=ReasonCode.OTHER))
    queued = len(await outbox(offering))

    await offering.deliver(missed(a))

    events = [e for _, e in (await outbox(offering))[queued:]]
    assert sorted(e.provider_id for e in events if isinstance(e, ReferralRerouted)) == [
        "shelter-b",
        "shelter-c",
    ]
    assert [e.provider_id for e in events if isinstance(e, ReferralRequested)] == ["shelter-d"]


async def test_an_undelivered_referral_withdraws_only_its_own(
    offering, case_opened, outbox, referrals
):
    a, _, _ = await offer_shelter(offering, case_opened, outbox)
    queued = len(await outbox(offering))
    undelivered = missed(a)
    undelivered = Envelope.wrap(
        undelivered.data.model_copy(update={"referral_undelivered": True}),
        event_id=uuid.uuid4(),
        time=NOW,
        source="/lindung/sla-monitor",
    )

    await offering.deliver(undelivered)

    (ended,) = [e for _, e in (await outbox(offering))[queued:]]
    assert isinstance(ended, ReferralCancelled)
    assert (ended.referral_id, ended.reason_code) == (a.referral_id, ReasonCode.UNDELIVERED)
    states = await statuses(offering, referrals)
    assert states["shelter-b"][0] == states["shelter-c"][0] == "requested"


async def test_a_coordinator_moving_one_referral_moves_the_whole_offer(
    offering, case_opened, outbox, referrals
):
    _, b, _ = await offer_shelter(offering, case_opened, outbox)
    queued = len(await outbox(offering))
    request = ReferralReassignmentRequested(
        request_id=uuid.uuid4(),
        referral_id=b.referral_id,
        case_id=b.case_id,
        coordinator_id="coordinator-sel",
        provider_id="shelter-d",
        reason=ReasonCode.COORDINATOR_ARRANGED,
        at=NOW + timedelta(minutes=20),
    )

    await offering.deliver(Envelope.wrap(request, event_id=uuid.uuid4(), time=NOW, source="/i"))

    events = [e for _, e in (await outbox(offering))[queued:]]
    cancelled = [e for e in events if isinstance(e, ReferralCancelled)]
    assert sorted(e.provider_id for e in cancelled) == ["shelter-a", "shelter-c"]
    assert {(e.reason_code, e.coordinator_id) for e in cancelled} == {
        (ReasonCode.COORDINATOR_ARRANGED, "coordinator-sel")
    }
    (moved,) = [e for e in events if isinstance(e, ReferralRerouted)]
    (asked,) = [e for e in events if isinstance(e, ReferralRequested)]
    assert (moved.referral_id, moved.new_referral_id) == (b.referral_id, asked.referral_id)
    assert (asked.provider_id, asked.offer_id) == ("shelter-d", None)
    states = await statuses(offering, referrals)
    assert {states[p] for p in ("shelter-a", "shelter-b", "shelter-c")} == {
        ("withdrawn", "coordinator_arranged")
    }
    assert states["shelter-d"] == ("requested", None)


def clock(referral, action: ClockAction, at) -> Envelope[ClockChangeRequested]:
    payload = ClockChangeRequested(
        request_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        action=action,
        coordinator_id="coordinator-sel",
        reason=ReasonCode.CHILD_IN_HOSPITAL,
        at=at,
    )
    return Envelope.wrap(payload, event_id=uuid.uuid4(), time=at, source="/lindung/intake")


async def test_a_pause_of_one_referral_pauses_the_whole_offer(
    offering, case_opened, provider_responded, outbox, referrals
):
    a, b, c = await offer_shelter(offering, case_opened, outbox)
    await offering.deliver(provider_responded(c, ResponseKind.DECLINED, reason=ReasonCode.OTHER))
    queued = len(await outbox(offering))
    at = NOW + timedelta(minutes=30)

    await offering.deliver(clock(b, ClockAction.PAUSE, at))

    paused = [e for _, e in (await outbox(offering))[queued:]]
    assert all(isinstance(e, ReferralPaused) for e in paused)
    assert sorted(e.provider_id for e in paused) == ["shelter-a", "shelter-b"]  # c declined
    # An escalation meanwhile takes nobody back: no one of the offer is late while paused.
    await offering.deliver(missed(a))
    assert len(await outbox(offering)) == queued + 2

    await offering.deliver(clock(a, ClockAction.RESUME, at + timedelta(hours=1)))
    resumed = [e for _, e in (await outbox(offering))[queued + 2 :]]
    assert all(isinstance(e, ReferralResumed) for e in resumed)
    assert sorted(e.provider_id for e in resumed) == ["shelter-a", "shelter-b"]
    rows = {r["provider_id"]: r for r in await referrals(offering)}
    assert (
        rows["shelter-a"]["due_at"] == rows["shelter-b"]["due_at"] == a.due_at + timedelta(hours=1)
    )

"""Offers to several providers, the pure rules: who is asked, who wins, what silence does."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from lindung_contracts import (
    ChildSummary,
    DeadlineMissed,
    Gender,
    MalaysianState,
    NoProviderAvailable,
    ProviderResponded,
    ReasonCode,
    RecipientRole,
    ReferralCancelled,
    ReferralRerouted,
    ResponseKind,
    ServiceType,
)
from lindung_router.adapters.config_files import load_policy
from lindung_router.domain import (
    CaseFacts,
    Directory,
    MissOutcome,
    Need,
    ReferralState,
    ReferralStatus,
)
from lindung_router.domain.offers import answer_offer, miss_offer, offer, reoffer
from lindung_router.settings import DEFAULT_POLICY_FILE

POLICY = load_policy(DEFAULT_POLICY_FILE)
IDENTIFIED = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
NOW = IDENTIFIED + timedelta(minutes=2)
S = ReferralStatus


def shelter(name: str, priority: int, **extra) -> dict:
    return {"id": name, "name": name, "services": ["safe_shelter"], "states": ["sabah"],
            "languages": ["ms"], "priority": priority, **extra}  # fmt: skip


DIRECTORY = Directory.model_validate(
    {
        "version": "unit",
        "providers": [
            shelter("shelter-1", 1),
            shelter("shelter-2", 2),
            shelter("shelter-full", 3, accepting=False),
            shelter("shelter-3", 4),
            shelter("shelter-4", 5),
        ],
    }
)
FACTS = CaseFacts(
    case_id=uuid.UUID(int=1),
    agency_id="pdrm-sabah",
    state=MalaysianState.SABAH,
    child=ChildSummary(age_years=14, age_disputed=False, gender=Gender.FEMALE, languages=("ms",)),
    identified_at=IDENTIFIED,
    sexual_violence_at=None,
)


def need(*, urgent: bool = True) -> Need:
    return Need(ServiceType.SAFE_SHELTER, urgent=urgent, reasons=("detained",))


def ids():
    counter = itertools.count(100)
    return lambda: uuid.UUID(int=next(counter))


def test_the_policy_offers_urgent_shelter_to_three_and_nothing_else():
    assert POLICY.offer_size(ServiceType.SAFE_SHELTER, urgent=True) == 3
    assert POLICY.offer_size(ServiceType.SAFE_SHELTER, urgent=False) == 1
    assert {POLICY.offer_size(s, urgent=True) for s in ServiceType} == {1, 3}


def test_an_offer_goes_to_the_three_that_three_re_routes_would_ask():
    made = offer(
        FACTS, need(), policy=POLICY, directory=DIRECTORY, start=IDENTIFIED, now=NOW, ids=ids()
    )

    asked = [r.requested for r in made]
    assert [r.provider_id for r in asked] == ["shelter-1", "shelter-2", "shelter-3"]
    assert {r.offer_id for r in asked} == {asked[0].referral_id}
    assert {r.offered_to for r in asked} == {3}
    assert len({r.referral_id for r in asked}) == 3
    assert {(r.due_at, r.escalation, r.attempt) for r in asked} == {
        (IDENTIFIED + timedelta(hours=4), asked[0].escalation, 1)
    }
    # Passed over: the full shelter, never one of the offer's own.
    assert [p.provider_id for p in asked[2].passed_over] == ["shelter-full"]


def test_a_referral_that_is_not_urgent_goes_to_one():
    (made,) = offer(
        FACTS,
        need(urgent=False),
        policy=POLICY,
        directory=DIRECTORY,
        start=IDENTIFIED,
        now=NOW,
        ids=ids(),
    )
    assert made.requested is not None
    assert (made.requested.provider_id, made.requested.offer_id) == ("shelter-1", None)


def test_with_one_provider_left_the_offer_is_a_plain_referral():
    tried = ("shelter-1", "shelter-2", "shelter-3")
    (made,) = offer(
        FACTS,
        need(),
        policy=POLICY,
        directory=DIRECTORY,
        start=IDENTIFIED,
        now=NOW,
        ids=ids(),
        tried=tried,
        attempt=2,
    )
    assert made.requested is not None
    assert (made.requested.provider_id, made.requested.offer_id) == ("shelter-4", None)


def test_a_late_offer_reports_its_lateness_once():
    late = NOW + timedelta(hours=6)
    made = offer(
        FACTS, need(), policy=POLICY, directory=DIRECTORY, start=IDENTIFIED, now=late, ids=ids()
    )
    asked = [r.requested for r in made]
    assert [r.overdue_since for r in asked] == [IDENTIFIED + timedelta(hours=4), None, None]
    assert {r.due_at for r in asked} == {late + timedelta(hours=4)}


def members(*statuses: ReferralStatus) -> list[ReferralState]:
    return [
        ReferralState(
            referral_id=uuid.UUID(int=10 + i),
            case_id=FACTS.case_id,
            provider_id=f"shelter-{i + 1}",
            service=ServiceType.SAFE_SHELTER,
            status=status,
            attempt=1,
            urgent=True,
            reasons=("detained",),
        )
        for i, status in enumerate(statuses)
    ]


def answer(referral: ReferralState, response: ResponseKind) -> ProviderResponded:
    return ProviderResponded(
        response_id=uuid.uuid4(),
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        response=response,
        reason=ReasonCode.AT_CAPACITY if response is not ResponseKind.ACCEPTED else None,
        responded_at=NOW,
    )


def test_the_first_acceptance_withdraws_the_others_still_waiting():
    offered = members(S.REQUESTED, S.REQUESTED, S.DECLINED)
    decided = answer_offer(offered[1], offered, answer(offered[1], ResponseKind.ACCEPTED))

    assert decided.outcome.status is S.ACCEPTED
    (withdrawn,) = decided.withdrawn
    assert isinstance(withdrawn, ReferralCancelled)
    assert (withdrawn.provider_id, withdrawn.reason_code) == (
        "shelter-1",
        ReasonCode.TAKEN_ELSEWHERE,
    )
    assert "shelter-2 accepted first" in withdrawn.reason
    assert not decided.reoffer


def test_a_second_acceptance_changes_nothing():
    offered = members(S.WITHDRAWN, S.ACCEPTED)
    decided = answer_offer(offered[0], offered, answer(offered[0], ResponseKind.ACCEPTED))
    assert decided.outcome.status is None
    assert (decided.withdrawn, decided.reoffer) == ((), False)


@pytest.mark.parametrize(
    ("others", "reoffer"),
    [
        ((S.REQUESTED, S.REQUESTED), False),
        ((S.DECLINED, S.REQUESTED), False),
        ((S.DECLINED, S.FAILED), True),
        ((S.WITHDRAWN, S.DECLINED), True),
    ],
)
def test_a_decline_re_offers_only_when_nobody_of_the_offer_is_left(others, reoffer):
    offered = members(S.REQUESTED, *others)
    decided = answer_offer(offered[0], offered, answer(offered[0], ResponseKind.DECLINED))
    assert decided.outcome.status is S.DECLINED
    assert decided.reoffer is reoffer


def test_a_failure_after_acceptance_re_offers():
    offered = members(S.ACCEPTED, S.WITHDRAWN, S.WITHDRAWN)
    decided = answer_offer(offered[0], offered, answer(offered[0], ResponseKind.FAILED))
    assert (decided.outcome.status, decided.reoffer) == (S.FAILED, True)


def missed(referral: ReferralState, **extra) -> DeadlineMissed:
    return DeadlineMissed(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        requested_at=IDENTIFIED,
        due_at=IDENTIFIED + timedelta(hours=4),
        notify=RecipientRole.CASE_COORDINATOR,
        fired_at=IDENTIFIED + timedelta(hours=4),
        escalation_level=1,
        **extra,
    )


def test_silence_withdraws_every_referral_still_waiting_the_named_one_first():
    offered = members(S.REQUESTED, S.DECLINED, S.REQUESTED)
    decided = miss_offer(offered[2], offered, missed(offered[2]), POLICY)
    assert decided.miss.outcome is MissOutcome.WITHDRAWN
    assert [r.provider_id for r in decided.withdrawn] == ["shelter-3", "shelter-1"]
    assert decided.reoffer


def test_silence_named_on_one_that_answered_meanwhile_is_the_others():
    offered = members(S.DECLINED, S.REQUESTED, S.REQUESTED)
    decided = miss_offer(offered[0], offered, missed(offered[0]), POLICY)
    assert [r.provider_id for r in decided.withdrawn] == ["shelter-2", "shelter-3"]


@pytest.mark.parametrize(
    "statuses",
    [(S.ACCEPTED, S.WITHDRAWN, S.WITHDRAWN), (S.DECLINED, S.DECLINED, S.WITHDRAWN)],
)
def test_silence_after_the_offer_was_taken_or_ended_changes_nothing(statuses):
    offered = members(*statuses)
    decided = miss_offer(offered[1], offered, missed(offered[1]), POLICY)
    assert (decided.withdrawn, decided.reoffer) == ((), False)


def test_a_lateness_reported_at_request_withdraws_nobody():
    offered = members(S.REQUESTED, S.REQUESTED)
    decided = miss_offer(offered[0], offered, missed(offered[0], overdue_at_request=True), POLICY)
    assert decided.withdrawn == ()


def test_an_undelivered_referral_is_its_provider_s_alone():
    offered = members(S.REQUESTED, S.REQUESTED)
    decided = miss_offer(offered[0], offered, missed(offered[0], referral_undelivered=True), POLICY)
    assert [r.provider_id for r in decided.withdrawn] == ["shelter-1"]
    assert not decided.reoffer
    last = [offered[0], dataclasses.replace(offered[1], status=S.DECLINED)]
    decided = miss_offer(last[0], last, missed(last[0], referral_undelivered=True), POLICY)
    assert decided.reoffer


def test_a_re_offer_goes_to_the_next_and_moves_every_silent_one_to_it():
    ended = [dataclasses.replace(m, status=S.WITHDRAWN) for m in members(S.REQUESTED, S.REQUESTED)]
    routed, events = reoffer(
        FACTS,
        ended,
        why="did not answer before the deadline",
        detail="no answer",
        policy=POLICY,
        directory=DIRECTORY,
        tried=("shelter-1", "shelter-2"),
        declined=(),
        at=IDENTIFIED + timedelta(hours=4),
        now=IDENTIFIED + timedelta(hours=4),
        ids=ids(),
        after_miss=True,
        code=ReasonCode.NO_ANSWER,
    )
    asked = [r.requested for r in routed]
    assert [r.provider_id for r in asked] == ["shelter-3", "shelter-4"]
    assert {r.attempt for r in asked} == {2}
    assert {r.offer_id for r in asked} == {asked[0].referral_id}
    assert all(isinstance(e, ReferralRerouted) for e in events)
    assert [e.provider_id for e in events] == ["shelter-1", "shelter-2"]
    assert {e.new_referral_id for e in events} == {asked[0].referral_id}


def test_a_re_offer_with_nobody_left_ends_each_silent_one_and_the_service_is_unmet():
    ended = [dataclasses.replace(m, status=S.WITHDRAWN) for m in members(S.REQUESTED, S.REQUESTED)]
    routed, events = reoffer(
        FACTS,
        ended,
        why="did not answer before the deadline",
        detail="no answer",
        policy=POLICY,
        directory=DIRECTORY,
        tried=("shelter-1", "shelter-2", "shelter-3", "shelter-4"),
        declined=(),
        at=NOW,
        now=NOW,
        ids=ids(),
        code=ReasonCode.NO_ANSWER,
    )
    (unmet,) = routed
    assert isinstance(unmet.unmet, NoProviderAvailable)
    assert [type(e) for e in events] == [ReferralCancelled, ReferralCancelled]
    assert {e.reason_code for e in events} == {ReasonCode.NO_ANSWER}

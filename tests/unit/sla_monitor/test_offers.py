"""An offer to several providers: each coordinator's step fires once for the offer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lindung_contracts import RecipientRole, ServiceType, StepKind
from lindung_sla_monitor.domain import Deadline, Step, plan_fires
from lindung_sla_monitor.domain.offers import SHARED_NOTE, offer_claims, once_per_offer

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DUE = START + timedelta(hours=4)
OFFER = uuid.UUID(int=100)


def deadline(n: int) -> Deadline:
    return Deadline(
        referral_id=uuid.UUID(int=n),
        case_id=uuid.UUID(int=1),
        provider_id=f"shelter-{n}",
        service=ServiceType.SAFE_SHELTER,
        requested_at=START,
        due_at=DUE,
    )


WARN_PROVIDER = Step(0, StepKind.WARNING, 0, 50, START + timedelta(hours=2), RecipientRole.PROVIDER)
LEVEL_1 = Step(2, StepKind.ESCALATION, 1, 100, DUE, RecipientRole.CASE_COORDINATOR)


def test_only_the_offer_s_steps_addressed_beyond_its_providers_are_claimed():
    locked = [(deadline(n), step) for n in (3, 1, 2) for step in (WARN_PROVIDER, LEVEL_1)]
    plan = plan_fires(locked, DUE)
    offers = {uuid.UUID(int=1): OFFER, uuid.UUID(int=2): OFFER}  # 3 is a plain referral

    claims = offer_claims(plan, offers)

    assert [(o, s, r) for o, s, r, _ in claims] == [
        (OFFER, 2, uuid.UUID(int=1)),
        (OFFER, 2, uuid.UUID(int=2)),
    ]


def test_a_claim_not_won_is_skipped_and_the_rest_fire():
    locked = [(deadline(n), step) for n in (1, 2, 3) for step in (WARN_PROVIDER, LEVEL_1)]
    plan = plan_fires(locked[1::2], DUE)  # level 1 of each
    offers = {uuid.UUID(int=n): OFFER for n in (1, 2, 3)}

    shared = once_per_offer(plan, offers, won={(uuid.UUID(int=2), 2)})

    assert [f.deadline.referral_id for f in shared.fires] == [uuid.UUID(int=2)]
    assert sorted(s.referral_id.int for s in shared.skips) == [1, 3]
    assert {s.note for s in shared.skips} == {SHARED_NOTE}


def test_each_provider_is_warned_of_its_own_deadline():
    locked = [(deadline(n), WARN_PROVIDER) for n in (1, 2, 3)]
    plan = plan_fires(locked, START + timedelta(hours=2))
    offers = {uuid.UUID(int=n): OFFER for n in (1, 2, 3)}
    assert offer_claims(plan, offers) == []
    assert len(once_per_offer(plan, offers, won=set()).fires) == 3

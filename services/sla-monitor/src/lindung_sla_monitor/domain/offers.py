"""Offers to several providers: the offer's coordinators hear of each step once, not N times.

The router may offer one referral to several providers at once (`offer_id` on each of
their `ReferralRequested`, the same deadline and ladder on each). Every referral of the
offer keeps the whole ladder, so the offer keeps it whichever provider declines first.
A step addressed to a provider fires for each referral still waiting (each provider is
warned of its own deadline); a step addressed to anyone else (a coordinator, a
supervisor, the secretariat) fires once per offer: the first referral of the offer to
fire it claims it (a row per offer and step, unique), and the others' copies are
skipped, saying why. So silence from every provider of an offer is one escalation, and
the router, hearing it, takes the whole offer back and asks the next ones once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from lindung_contracts import RecipientRole

from .firing import FirePlan, Skip

if TYPE_CHECKING:
    import uuid
    from collections.abc import Collection, Mapping

    from .ladder import Step

__all__ = ["SHARED_NOTE", "Claim", "offer_claims", "once_per_offer", "shared"]

SHARED_NOTE: Final = "another referral of the same offer raised this step: the offer's one"

# (offer, step number, the referral claiming it, the event it raises)
Claim = tuple["uuid.UUID", int, "uuid.UUID", "uuid.UUID"]


def shared(step: Step) -> bool:
    """Whether a step is the offer's (fires once) rather than its provider's (fires for each)."""
    return step.notify is not RecipientRole.PROVIDER


def offer_claims(plan: FirePlan, offers: Mapping[uuid.UUID, uuid.UUID]) -> list[Claim]:
    """The claims to make for the offer's steps the plan fires, in one order for every pass.

    `offers` maps each referral of an offer to its offer. Claims are ordered by offer and
    step, so two passes claiming the same ones wait on each other, never in a circle.
    """
    claims = [
        (offers[fire.deadline.referral_id], fire.step.step_no, fire.deadline.referral_id,
         fire.event_id)
        for fire in plan.fires
        if fire.deadline.referral_id in offers and shared(fire.step)
    ]  # fmt: skip
    return sorted(claims, key=lambda c: (str(c[0]), c[1], str(c[2])))


def once_per_offer(
    plan: FirePlan,
    offers: Mapping[uuid.UUID, uuid.UUID],
    won: Collection[tuple[uuid.UUID, int]],
) -> FirePlan:
    """The plan with each offer's step fired once: those of the claims not `won` skipped.

    `won` holds the (referral, step number) pairs whose claim was made (not made before).
    """
    fires, skips = [], list(plan.skips)
    for fire in plan.fires:
        rid = fire.deadline.referral_id
        if rid in offers and shared(fire.step) and (rid, fire.step.step_no) not in won:
            skips.append(Skip(rid, fire.step, SHARED_NOTE))
        else:
            fires.append(fire)
    return FirePlan(fires, skips)

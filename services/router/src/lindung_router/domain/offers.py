"""Offers to several providers at once: the first acceptance wins, silence counts once.

For the services the policy marks (`offer_to`, urgent shelter by default) a referral is
offered at once to up to N suitable providers. Choosing them is choosing one N times:
`choose_provider`'s best, then its best with the first as tried, and so on, so that an
offer goes to the same providers, in the same order, as N re-routes would. Each gets its
own referral (its own id, provider and notice), with the same deadline and ladder, the
same attempt number and one shared `offer_id`; as with every referral, nothing about the
child travels.

- **An acceptance** takes the referral: in the same transaction every other referral of
  the offer still awaiting an answer is withdrawn with `taken_elsewhere`
  (`ReferralCancelled`, which the notifier sends to that provider). A later acceptance
  by one of them finds its referral withdrawn and changes nothing; that provider has its
  withdrawal notice already, and intake refuses its answer once it has heard of it.
- **A decline or failure** closes that provider's referral only. When none of the offer is
  left awaiting an answer or taken, the service is offered once more, to the next N
  (a failure after acceptance too): one re-route, as after a single provider's decline.
- **Silence.** Every referral carries the whole ladder, so that the offer keeps its ladder
  whichever of its providers declines first. The sla-monitor fires each step addressed to
  a coordinator, supervisor or secretariat once per offer (the first referral of the offer
  whose step comes due claims it; the others' copies are skipped); each provider still
  gets its own warning. The one `DeadlineMissed` withdraws every referral of the offer
  still awaiting an answer (`ReferralRerouted`, `no_answer`) and offers the service once
  to the next N. A referral made late reports its lateness on the first referral only.
- **A referral that could not be delivered** withdraws that provider's referral only;
  the service is offered again only when none of the offer is left.
- **A coordinator moving one referral** of the offer moves the whole offer: the others
  still waiting are withdrawn with the coordinator's reason, and only the provider they
  chose is asked (`offering.Offering.on_reassignment`).
- **A pause** (the child is in hospital, say) is about the child, not one provider: every
  referral of the offer still waiting pauses and resumes with the one named
  (`offer_clocks.py`), so the offer's ladder stands still as one.

Every use case of an offer locks the whole offer, its case first and then its referrals in
id order, before it decides: two answers to one offer are applied one after the other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lindung_contracts import ReferralStatus

from .offer_answers import OfferAnswer, OfferMiss, answer_offer, miss_offer, withdrawal
from .routing import reroute, route

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import Payload, ReasonCode, ReferralRequested, ReferralRerouted

    from .capacity import Capacity
    from .directory import Directory
    from .lifecycle import ReferralState
    from .policy import Policy
    from .routing import CaseFacts, Routed
    from .rules import Need

__all__ = [
    "OfferAnswer",
    "OfferMiss",
    "answer_offer",
    "miss_offer",
    "offer",
    "reoffer",
]


def offer(
    facts: CaseFacts,
    need: Need,
    *,
    policy: Policy,
    directory: Directory,
    start: datetime,
    now: datetime,
    ids: Callable[[], UUID],
    attempt: int = 1,
    tried: tuple[str, ...] = (),
    declined: tuple[str, ...] = (),
    report_overdue: bool = True,
    capacity: Capacity | None = None,
) -> tuple[Routed, ...]:
    """Refer one need to as many providers at once as the policy says (usually one).

    The first result is what `route` gives; more follow only while suitable providers are
    left. One result is a plain referral (no `offer_id`), however many were wanted.
    """
    size = policy.offer_size(need.service, urgent=need.urgent)
    first = route(
        facts,
        need,
        policy=policy,
        directory=directory,
        start=start,
        now=now,
        referral_id=ids(),
        attempt=attempt,
        tried=tried,
        declined=declined,
        report_overdue=report_overdue,
        capacity=capacity,
    )
    return _widen(
        first,
        size,
        facts=facts,
        policy=policy,
        directory=directory,
        tried=tried,
        declined=declined,
        now=now,
        ids=ids,
        capacity=capacity,
    )


def reoffer(
    facts: CaseFacts,
    ended: Sequence[ReferralState],
    *,
    why: str,
    detail: str,
    policy: Policy,
    directory: Directory,
    tried: tuple[str, ...],
    declined: tuple[str, ...],
    at: datetime,
    now: datetime,
    ids: Callable[[], UUID],
    after_miss: bool = False,
    code: ReasonCode | None = None,
    capacity: Capacity | None = None,
) -> tuple[tuple[Routed, ...], list[Payload]]:
    """Offer the service again, to the next providers, after the whole offer gave it up.

    `ended` are the offer's referrals taken back now (the last to decline or fail, or all
    that were silent), the first of them the one the re-route note names. Returns the new
    referrals (or the unmet service) and the events that end `ended`, in order: each a
    `ReferralRerouted` to the first new referral, or, with nobody left, a
    `ReferralCancelled` (a decline needs none: it has its own event).
    """
    previous = ended[0]
    first, moved = reroute(
        facts,
        previous,
        why=why,
        detail=detail,
        policy=policy,
        directory=directory,
        tried=tried,
        declined=declined,
        at=at,
        now=now,
        referral_id=ids(),
        after_miss=after_miss,
        code=code,
        capacity=capacity,
    )
    if moved is None:
        ends: list[Payload] = [
            withdrawal(r, at, f"{why}, no provider left: {detail}", code)
            for r in ended
            if r.status is not ReferralStatus.DECLINED
        ]
        return (first,), ends
    size = policy.offer_size(previous.service, urgent=previous.urgent)
    routed = _widen(
        first,
        size,
        facts=facts,
        policy=policy,
        directory=directory,
        tried=tried,
        declined=declined,
        now=now,
        ids=ids,
        capacity=capacity,
    )
    return routed, [moved, *(_moved_too(moved, r, why, detail) for r in ended[1:])]


def _widen(
    first: Routed,
    size: int,
    *,
    facts: CaseFacts,
    policy: Policy,
    directory: Directory,
    tried: tuple[str, ...],
    declined: tuple[str, ...],
    now: datetime,
    ids: Callable[[], UUID],
    capacity: Capacity | None = None,
) -> tuple[Routed, ...]:
    """Add the next providers to `first` up to `size`, as one offer (one result: as it is)."""
    if first.requested is None or size <= 1:
        return (first,)
    results = [first]
    asked = (*tried, first.requested.provider_id)
    while len(results) < size:
        more = route(
            facts,
            first.need,
            policy=policy,
            directory=directory,
            # The first's start: moved to `now` if its window had passed, so the same due.
            start=first.requested.requested_at,
            now=now,
            referral_id=ids(),
            attempt=first.requested.attempt,
            tried=asked,
            declined=declined,
            report_overdue=False,
            capacity=capacity,
        )
        if more.requested is None:
            break
        asked = (*asked, more.requested.provider_id)
        results.append(more)
    if len(results) == 1:
        return (first,)
    # The first referral's id names the offer: unique, and known to every reader.
    offer_id = first.requested.referral_id
    offered = asked[len(tried) :]
    return tuple(_stamped(r, offer_id, offered) for r in results)


def _stamped(routed: Routed, offer_id: UUID, offered: tuple[str, ...]) -> Routed:
    """One referral of the offer: its id and size; passed over, none of the offer's own."""
    requested: ReferralRequested | None = routed.requested
    if requested is None:  # pragma: no cover - only referrals made are stamped
        return routed
    passed = tuple(p for p in requested.passed_over if p.provider_id not in offered)
    size = len(offered)
    stamped = requested.model_copy(
        update={"offer_id": offer_id, "offered_to": size, "passed_over": passed}
    )
    return replace(routed, requested=stamped)


def _moved_too(
    moved: ReferralRerouted, referral: ReferralState, why: str, detail: str
) -> ReferralRerouted:
    """Another silent referral of the offer, moved to the same new offer."""
    return moved.model_copy(
        update={
            "referral_id": referral.referral_id,
            "provider_id": referral.provider_id,
            "reason": f"{referral.provider_id} {why}: {detail}"[:500],
        }
    )

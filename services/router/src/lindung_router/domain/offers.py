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
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lindung_contracts import ReasonCode, ReferralCancelled, ReferralStatus

from .lifecycle import ReferralState, apply_response
from .routing import reroute, route
from .silence import MissOutcome, on_missed

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import (
        DeadlineMissed,
        Payload,
        ProviderResponded,
        ReferralRequested,
        ReferralRerouted,
    )

    from .directory import Directory
    from .lifecycle import Outcome
    from .policy import Policy
    from .routing import CaseFacts, Routed
    from .rules import Need
    from .silence import Miss

__all__ = [
    "OfferAnswer",
    "OfferMiss",
    "answer_offer",
    "miss_offer",
    "offer",
    "reoffer",
    "taken_elsewhere",
]

# A referral of the offer that a provider has taken (accepted, started or completed).
_TAKEN = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED})


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
    )
    if moved is None:
        ends: list[Payload] = [
            _cancelled(r, at, f"{why}, no provider left: {detail}", code)
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
    )
    return routed, [moved, *(_moved_too(moved, r, why, detail) for r in ended[1:])]


def taken_elsewhere(
    taken: ReferralState, others: Sequence[ReferralState], *, at: datetime
) -> tuple[ReferralCancelled, ...]:
    """Withdraw the offer's referrals still awaiting an answer: `taken` was accepted first."""
    return tuple(
        _cancelled(
            r,
            at,
            f"offered to several providers at once; {taken.provider_id} accepted first",
            ReasonCode.TAKEN_ELSEWHERE,
        )
        for r in sorted(others, key=lambda r: r.referral_id)
        if r.status is ReferralStatus.REQUESTED and r.referral_id != taken.referral_id
    )


@dataclass(frozen=True)
class OfferAnswer:
    """What a provider's answer to one referral of an offer does to the offer."""

    outcome: Outcome
    withdrawn: tuple[ReferralCancelled, ...] = ()
    # Nobody of the offer is left: the service is offered again, once.
    reoffer: bool = False


def answer_offer(
    referral: ReferralState, members: Sequence[ReferralState], answer: ProviderResponded
) -> OfferAnswer:
    """Apply an answer to `referral`, one of `members` (the whole offer, as locked)."""
    outcome = apply_response(referral, answer)
    if outcome.status is None:
        return OfferAnswer(outcome)
    now = replace(referral, status=outcome.status)
    after = [now if m.referral_id == referral.referral_id else m for m in members]
    if outcome.status is ReferralStatus.ACCEPTED:
        return OfferAnswer(outcome, taken_elsewhere(now, after, at=answer.responded_at))
    return OfferAnswer(outcome, reoffer=outcome.reroute and not _alive(after))


@dataclass(frozen=True)
class OfferMiss:
    """What an escalation of an offer does: the referrals taken back, and whether to re-offer."""

    miss: Miss
    withdrawn: tuple[ReferralState, ...] = ()
    reoffer: bool = False


def miss_offer(
    referral: ReferralState,
    members: Sequence[ReferralState],
    missed: DeadlineMissed,
    policy: Policy,
) -> OfferMiss:
    """Whether an escalation of `referral` takes the offer's referrals back, and which.

    An undelivered referral is its provider's alone: only it is withdrawn. A silence is the
    offer's: every referral still waiting is withdrawn, whichever one's step fired (one
    may have declined since). Nothing is withdrawn once a provider has taken the offer.
    """
    if any(m.status in _TAKEN for m in members):
        return OfferMiss(on_missed(None, missed, policy))
    miss = on_missed(referral, missed, policy)
    if miss.outcome is MissOutcome.WITHDRAWN and miss.code is ReasonCode.UNDELIVERED:
        others = [m for m in members if m.referral_id != referral.referral_id]
        return OfferMiss(miss, (referral,), reoffer=not _alive(others))
    waiting = [m for m in members if m.status is ReferralStatus.REQUESTED and m.paused_at is None]
    if miss.outcome is MissOutcome.IGNORED and waiting and not missed.overdue_at_request:
        # The referral named answered meanwhile; the offer's silence is the others'.
        miss = on_missed(waiting[0], missed, policy)
    if miss.outcome is not MissOutcome.WITHDRAWN:
        return OfferMiss(miss)
    named = [m for m in waiting if m.referral_id == referral.referral_id]
    ordered = named + [m for m in waiting if m.referral_id != referral.referral_id]
    return OfferMiss(miss, tuple(ordered), reoffer=True)


def _alive(members: Sequence[ReferralState]) -> bool:
    """Whether the offer still has a referral awaiting an answer or taken."""
    return any(m.status is ReferralStatus.REQUESTED or m.status in _TAKEN for m in members)


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


def _cancelled(
    referral: ReferralState, at: datetime, reason: str, code: ReasonCode | None
) -> ReferralCancelled:
    return ReferralCancelled(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=at,
        reason=reason[:500],
        reason_code=code,
    )


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

"""What an answer or an escalation does to an offer to several providers (`offers.py`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from lindung_contracts import ReasonCode, ReferralCancelled, ReferralStatus

from .lifecycle import apply_response
from .silence import MissOutcome, on_missed

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from lindung_contracts import DeadlineMissed, ProviderResponded

    from .lifecycle import Outcome, ReferralState
    from .policy import Policy
    from .silence import Miss

__all__ = [
    "OfferAnswer",
    "OfferMiss",
    "answer_offer",
    "miss_offer",
    "taken_elsewhere",
    "withdrawal",
]

# A referral of the offer that a provider has taken (accepted, started or completed).
_TAKEN = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.COMPLETED})


def taken_elsewhere(
    taken: ReferralState, others: Sequence[ReferralState], *, at: datetime
) -> tuple[ReferralCancelled, ...]:
    """Withdraw the offer's referrals still awaiting an answer: `taken` was accepted first."""
    return tuple(
        withdrawal(
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


def withdrawal(
    referral: ReferralState, at: datetime, reason: str, code: ReasonCode | None
) -> ReferralCancelled:
    """A referral of the offer ended, with why."""
    return ReferralCancelled(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=at,
        reason=reason[:500],
        reason_code=code,
    )

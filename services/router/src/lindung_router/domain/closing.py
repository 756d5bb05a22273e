"""A case coordinator closing a case: what the router cancels, and what it leaves be.

Closing ends the coordination, not the services under way. A referral still awaiting its
provider's acceptance (its clock paused or not) is cancelled: its provider is told, its
answers are refused from then on, and its deadline stops escalating. A referral accepted
or under way stays with the provider who has the child, who completes it with its own
outcome, so the loop still closes. Nothing more is routed for a closed case: a provider
that gives such a referral up is not replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lindung_contracts import CaseClosed, ReasonCode, ReferralCancelled, ReferralStatus

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import CaseCloseRequested

    from .lifecycle import ReferralState

__all__ = ["Closing", "close_case", "ended_by_closing"]

# Referrals a closed case leaves with their providers, to complete with an outcome.
_UNDER_WAY: Final = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})


@dataclass(frozen=True)
class Closing:
    """What a close request does: the cancellations and the closing, or why it did nothing."""

    cancelled: tuple[ReferralCancelled, ...] = ()
    closed: CaseClosed | None = None
    ignored: str | None = None

    @property
    def events(self) -> tuple[ReferralCancelled | CaseClosed, ...]:
        """The events to emit: each cancellation, then the closing (readers meet them so)."""
        return (*self.cancelled, self.closed) if self.closed is not None else ()


def close_case(
    request: CaseCloseRequested,
    referrals: Sequence[ReferralState],
    *,
    closed: tuple[UUID, datetime] | None,
) -> Closing:
    """Close the case: cancel what awaits acceptance, leave what is under way.

    `referrals` are every referral of the case, locked; `closed` the request id and time
    of the closing already applied, if any. A request seen again, or a second one, finds
    the case closed and changes nothing.
    """
    if closed is not None:
        request_id, at = closed
        if request_id == request.request_id:
            return Closing(ignored="close request seen again; the case is closed")
        return Closing(ignored=f"case was closed already, at {at.isoformat()}")
    ours = [r for r in referrals if r.case_id == request.case_id]
    waiting = sorted(
        (r for r in ours if r.status is ReferralStatus.REQUESTED), key=lambda r: r.referral_id
    )
    under_way = sorted((r for r in ours if r.status in _UNDER_WAY), key=lambda r: r.referral_id)
    why = f"the case was closed by case coordinator {request.coordinator_id}"
    cancelled = tuple(
        ReferralCancelled(
            referral_id=r.referral_id,
            case_id=r.case_id,
            provider_id=r.provider_id,
            service=r.service,
            at=request.at,
            reason=f"{why} ({request.outcome.value})",
            reason_code=ReasonCode.CASE_CLOSED,
            coordinator_id=request.coordinator_id,
        )
        for r in waiting
    )
    closing = CaseClosed(
        request_id=request.request_id,
        case_id=request.case_id,
        coordinator_id=request.coordinator_id,
        outcome=request.outcome,
        reason=request.reason,
        cancelled=tuple(r.referral_id for r in waiting),
        continuing=tuple(r.referral_id for r in under_way),
        closed_at=request.at,
    )
    return Closing(cancelled=cancelled, closed=closing)


def ended_by_closing(
    referral: ReferralState, status: ReferralStatus, *, code: ReasonCode, at: datetime
) -> ReferralCancelled | None:
    """How a referral of a closed case ends when its provider gives it up: nobody is asked.

    A decline has its own event and needs no other; a failure (which has none) ends the
    referral with a cancellation, so that every reader knows it is over.
    """
    if status is ReferralStatus.DECLINED:
        return None
    return ReferralCancelled(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=at,
        reason=f"reported failure; the case is closed, so nobody else is asked: {code.value}",
        reason_code=code,
    )

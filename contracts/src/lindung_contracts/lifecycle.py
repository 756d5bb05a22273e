"""The referral lifecycle (after HL7 FHIR Task): which answer may follow which state.

Shared because two services enforce it: intake refuses an answer the referral's state
does not allow (409), the router applies the allowed ones. One table, so they agree;
and one rule for when a referral's clock may be paused or resumed, for the same reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from .referral import ClockAction, ResponseKind

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["TRANSITIONS", "ReferralStatus", "clock_refusal", "transition"]


class ReferralStatus(StrEnum):
    """Where a referral stands."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    FAILED = "failed"
    # No answer by the deadline: taken back from the provider and re-routed.
    WITHDRAWN = "withdrawn"


_S = ReferralStatus
_R = ResponseKind
# Every allowed (current status, answer) pair; anything else is refused.
TRANSITIONS: Final[dict[tuple[ReferralStatus, ResponseKind], ReferralStatus]] = {
    (_S.REQUESTED, _R.ACCEPTED): _S.ACCEPTED,
    (_S.REQUESTED, _R.DECLINED): _S.DECLINED,
    (_S.REQUESTED, _R.FAILED): _S.FAILED,
    (_S.ACCEPTED, _R.STARTED): _S.IN_PROGRESS,
    # A one-visit service (a medical examination) may be completed without a separate start.
    (_S.ACCEPTED, _R.COMPLETED): _S.COMPLETED,
    (_S.ACCEPTED, _R.FAILED): _S.FAILED,
    (_S.IN_PROGRESS, _R.COMPLETED): _S.COMPLETED,
    (_S.IN_PROGRESS, _R.FAILED): _S.FAILED,
}


def transition(status: ReferralStatus, response: ResponseKind) -> ReferralStatus | None:
    """The status after this answer, or None when the answer is not allowed now."""
    return TRANSITIONS.get((status, response))


def clock_refusal(
    status: ReferralStatus, paused_at: datetime | None, action: ClockAction, at: datetime
) -> str | None:
    """Why a referral's clock cannot be paused or resumed at `at`; None when it can.

    Only a referral still awaiting its provider's acceptance has a clock to stop. Intake
    refuses the rest with 409; the router decides again under the referral's lock, since
    an answer may have moved the referral in between. The reason reads after "referral".
    """
    if status is ReferralStatus.WITHDRAWN:
        return "was withdrawn from its provider; its clock has stopped"
    if status is not ReferralStatus.REQUESTED:
        return f"is {status.value}: only a referral awaiting acceptance has a clock"
    if action is ClockAction.PAUSE:
        if paused_at is None:
            return None
        return f"its clock is already paused, since {paused_at.isoformat()}"
    if paused_at is None:
        return "its clock is not paused"
    return "cannot be resumed before it was paused" if at < paused_at else None

"""The referral lifecycle (after HL7 FHIR Task): which answer may follow which state.

Shared because two services enforce it: intake refuses an answer the referral's state
does not allow (409), the router applies the allowed ones. One table, so they agree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from .referral import ResponseKind

__all__ = ["TRANSITIONS", "ReferralStatus", "transition"]


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

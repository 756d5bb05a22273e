"""A case coordinator pausing or resuming a referral's clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import ClockAction, ReferralPaused, ReferralResumed

from .lifecycle import ReferralStatus

if TYPE_CHECKING:
    from lindung_contracts import ClockChangeRequested

    from .lifecycle import ReferralState

__all__ = ["ClockChange", "change_clock"]


@dataclass(frozen=True)
class ClockChange:
    """What a coordinator's request does: the event to raise, or why it changes nothing."""

    event: ReferralPaused | ReferralResumed | None
    ignored: str | None = None


def change_clock(referral: ReferralState, request: ClockChangeRequested) -> ClockChange:
    """Pause a clock that runs, resume one that is paused; anything else changes nothing.

    Only a referral still waiting for its provider's acceptance has a clock to stop.
    Intake refuses the rest with 409 already; this decides again under the referral's
    lock, since an answer may have moved the referral in between.
    """
    why = _why_not(referral, request)
    if why is not None:
        return ClockChange(None, ignored=why)
    paused = ReferralPaused(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        service=referral.service,
        at=request.at,
        coordinator_id=request.coordinator_id,
        reason=request.reason,
    )
    if referral.paused_at is None:
        return ClockChange(paused)
    # The same facts, and since when the clock stood still.
    return ClockChange(ReferralResumed(**paused.model_dump(), paused_at=referral.paused_at))


def _why_not(referral: ReferralState, request: ClockChangeRequested) -> str | None:
    if request.case_id != referral.case_id:
        return "request names another case"
    if referral.status is not ReferralStatus.REQUESTED:
        return f"the referral is {referral.status.value}"
    if request.action is ClockAction.PAUSE:
        return None if referral.paused_at is None else "the clock is already paused"
    if referral.paused_at is None:
        return "the clock is not paused"
    if request.at < referral.paused_at:
        return "resumed before it was paused"
    return None

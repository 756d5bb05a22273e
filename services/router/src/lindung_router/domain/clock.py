"""A case coordinator pausing or resuming a referral's clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import ReferralPaused, ReferralResumed
from lindung_contracts.lifecycle import clock_refusal

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

    The rule is the one intake applies (`lindung_contracts.lifecycle.clock_refusal`),
    decided again here under the referral's lock, since an answer may have moved the
    referral in between.
    """
    if request.case_id != referral.case_id:
        return ClockChange(None, ignored="request names another case")
    why = clock_refusal(referral.status, referral.paused_at, request.action, request.at)
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

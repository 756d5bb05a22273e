"""The referral lifecycle (after HL7 FHIR Task) and what a provider's answer does to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lindung_contracts import (
    ReasonCode,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralStarted,
    ResponseKind,
    ServiceType,
)
from lindung_contracts.lifecycle import ReferralStatus, transition

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import Payload, ProviderResponded

__all__ = [
    "Outcome",
    "ReferralState",
    "ReferralStatus",
    "apply_response",
    "reason_of",
    "transition",
]


_S = ReferralStatus
_R = ResponseKind
_FACTS: Final[dict[ResponseKind, type[ReferralAccepted | ReferralStarted]]] = {
    _R.ACCEPTED: ReferralAccepted,
    _R.STARTED: ReferralStarted,
}
# The provider will not deliver the service: someone else must be asked.
REROUTE_STATUSES: Final = frozenset({_S.DECLINED, _S.FAILED})


@dataclass(frozen=True)
class ReferralState:
    """What the router knows of one referral when an answer arrives."""

    referral_id: UUID
    case_id: UUID
    provider_id: str
    service: ServiceType
    status: ReferralStatus
    attempt: int
    urgent: bool
    reasons: tuple[str, ...]
    # When a coordinator paused the referral's clock; None while it runs.
    paused_at: datetime | None = None
    # When the referral was found undeliverable to its provider; None if it was not.
    undelivered_at: datetime | None = None
    # Whether a coordinator closed the referral's case: nothing more is routed for it.
    case_closed: bool = False


@dataclass(frozen=True)
class Outcome:
    """What an answer does: the new status and its event, or why it changed nothing."""

    status: ReferralStatus | None
    events: tuple[Payload, ...] = ()
    ignored: str | None = None

    @property
    def reroute(self) -> bool:
        """Whether the service must now be asked of another provider."""
        return self.status in REROUTE_STATUSES


def apply_response(referral: ReferralState, answer: ProviderResponded) -> Outcome:
    """Decide what a provider's answer does to its referral."""
    if answer.provider_id != referral.provider_id or answer.case_id != referral.case_id:
        return Outcome(None, ignored="answer from a provider the referral is not addressed to")
    new = transition(referral.status, answer.response)
    if new is None:
        why = f"{answer.response.value} is not allowed when the referral is {referral.status.value}"
        return Outcome(None, ignored=why)
    fact: Payload
    if answer.response is _R.DECLINED:
        fact = ReferralDeclined(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            provider_id=referral.provider_id,
            service=referral.service,
            at=answer.responded_at,
            reason=reason_of(answer),
        )
    elif answer.response is _R.FAILED:
        # No event of its own: the re-route that follows says what happened.
        return Outcome(new)
    elif answer.response is _R.COMPLETED:
        fact = ReferralCompleted(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            provider_id=referral.provider_id,
            service=referral.service,
            at=answer.responded_at,
            outcome=answer.outcome,
            outcome_reason=answer.outcome_reason,
        )
    else:
        fact = _FACTS[answer.response](
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            provider_id=referral.provider_id,
            service=referral.service,
            at=answer.responded_at,
        )
    return Outcome(new, (fact,))


def reason_of(answer: ProviderResponded) -> ReasonCode:
    """The provider's reason code; `other` when it gave none (intake requires one)."""
    return answer.reason or ReasonCode.OTHER

"""What intake decides about a referral: who may know it, answers, clock changes, reads.

Intake knows a referral from the router's events (its mirror): who it is addressed to,
where its provider's answers have moved it, whether it was taken back, whether its clock
is paused. Someone else's referral and one that does not exist get the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lindung_contracts import ClockChangeRequested, ProviderResponded, ServiceType
from lindung_contracts.lifecycle import ReferralStatus, clock_refusal, transition

from .auth import PrincipalKind
from .notes import Note, about_answer, about_clock
from .projection import shown_fields
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import ClockAction, Outcome, ReasonCode, ResponseKind

    from .auth import Principal

__all__ = [
    "Answering",
    "ClockChanging",
    "Referral",
    "decide_answer",
    "decide_clock_change",
    "may_know",
    "not_found",
    "readable_fields",
]


@dataclass(frozen=True)
class Referral:
    """A referral as intake knows it."""

    referral_id: UUID
    case_id: UUID
    provider_id: str
    service: str
    status: str = ReferralStatus.REQUESTED.value
    withdrawn_at: datetime | None = None
    paused_at: datetime | None = None

    @property
    def stage(self) -> ReferralStatus:
        """Where it stands in the lifecycle; withdrawn once taken back from its provider."""
        return ReferralStatus.WITHDRAWN if self.withdrawn_at else ReferralStatus(self.status)


def may_know(referral: Referral | None, principal: Principal) -> bool:
    """Whether the caller may learn that the referral exists.

    Its provider may (a referral taken back from it included); a case coordinator may
    know any. To anyone else it is exactly like one that does not exist.
    """
    if referral is None:
        return False
    if principal.kind is PrincipalKind.COORDINATOR:
        return True
    return principal.kind is PrincipalKind.PROVIDER and principal.id == referral.provider_id


def not_found(what: str, resource_id: UUID) -> Refusal:
    """The one answer for a referral (or case) that is missing or someone else's."""
    return Refusal.of(RefusalKind.NOT_FOUND, "path", f"{what} {resource_id} not found")


@dataclass(frozen=True)
class Answering:
    """What a provider's answer does: a new answer, its status and note; a repeat; or no."""

    answer: ProviderResponded | None = None
    status: ReferralStatus | None = None
    note: Note | None = None
    repeat_of: UUID | None = None
    refusal: Refusal | None = None


def decide_answer(
    referral: Referral | None,
    principal: Principal,
    *,
    referral_id: UUID,
    response: ResponseKind,
    reason: ReasonCode | None,
    note: str | None = None,
    outcome: Outcome | None = None,
    outcome_reason: ReasonCode | None = None,
    previous: UUID | None,
    response_id: UUID,
    note_id: UUID,
    responded_at: datetime,
) -> Answering:
    """Record a provider's answer, and its note, if the referral is theirs and its state allows.

    `previous` is the id of the same kind of answer given before: repeating an answer
    changes nothing (its note or outcome included) and returns the first one's id. The
    answer carries the reason and outcome codes (already checked by `check_response`); the
    note's words (checked, trimmed) stay with intake, filed under the answer's reason code.
    """
    if referral is None or not may_know(referral, principal):
        return Answering(refusal=not_found("referral", referral_id))
    if referral.withdrawn_at is not None:
        # Another provider has it now, or nobody: answering would make two act.
        why = "was withdrawn from this provider; it is no longer theirs to answer"
        return Answering(refusal=Refusal.of(RefusalKind.CONFLICT, "referral", why))
    if previous is not None:
        return Answering(repeat_of=previous)
    status = transition(ReferralStatus(referral.status), response)
    if status is None:
        why = f"{response.value} is not allowed: the referral is {referral.status}"
        return Answering(refusal=Refusal.of(RefusalKind.CONFLICT, "response", why))
    answer = ProviderResponded(
        response_id=response_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        provider_id=referral.provider_id,
        response=response,
        reason=reason,
        responded_at=responded_at,
        outcome=outcome,
        outcome_reason=outcome_reason,
    )
    why_code = reason if reason is not None else outcome_reason
    written = None
    if note is not None and why_code is not None:
        written = Note(
            note_id=note_id,
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            about=about_answer(response),
            source_id=response_id,
            reason=why_code,
            writer_kind=principal.kind,
            writer_id=principal.id,
            written_at=responded_at,
            words=note,
        )
    return Answering(answer=answer, status=status, note=written)


@dataclass(frozen=True)
class ClockChanging:
    """What a coordinator's pause or resume does: the request and its note, or a refusal."""

    request: ClockChangeRequested | None = None
    note: Note | None = None
    refusal: Refusal | None = None


def decide_clock_change(
    referral: Referral | None,
    principal: Principal,
    *,
    referral_id: UUID,
    action: ClockAction,
    reason: ReasonCode,
    note: str | None = None,
    request_id: UUID,
    note_id: UUID,
    at: datetime,
) -> ClockChanging:
    """Pause or resume a referral's clock when the shared clock rule allows it now.

    The request carries the reason code; the note's words (checked, trimmed) stay here.
    """
    if referral is None or not may_know(referral, principal):
        return ClockChanging(refusal=not_found("referral", referral_id))
    why = clock_refusal(referral.stage, referral.paused_at, action, at)
    if why is not None:
        return ClockChanging(refusal=Refusal.of(RefusalKind.CONFLICT, "referral", why))
    request = ClockChangeRequested(
        request_id=request_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        action=action,
        coordinator_id=principal.id,
        reason=reason,
        at=at,
    )
    written = None
    if note is not None:
        written = Note(
            note_id=note_id,
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            about=about_clock(action),
            source_id=request_id,
            reason=reason,
            writer_kind=principal.kind,
            writer_id=principal.id,
            written_at=at,
            words=note,
        )
    return ClockChanging(request=request, note=written)


def readable_fields(
    referral: Referral | None, principal: Principal, identification: dict[str, Any]
) -> tuple[str, ...] | None:
    """The fields of the identification the caller reads; None when it reads nothing.

    Only the provider a referral is addressed to reads it, and not once it was taken
    back; then only what its service needs, and only with consent (`shown_fields`).
    """
    if (
        referral is None
        or principal.kind is not PrincipalKind.PROVIDER
        or not may_know(referral, principal)
        or referral.withdrawn_at is not None
    ):
        return None
    return shown_fields(identification, ServiceType(referral.service))

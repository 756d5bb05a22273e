"""A case coordinator sending a referral to another provider: what intake decides.

Intake is the door: it checks who asks, that the referral is still waiting for its
provider, and records the request with its reason code (the words sealed as a note). It
does not own the provider directory, so it does not judge the provider chosen: the router
does, and asks the next suitable provider instead of one it cannot ask, saying so on the
new referral (`matched_by`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lindung_contracts import ProviderId, ReferralReassignmentRequested
from lindung_contracts.lifecycle import ReferralStatus
from pydantic import TypeAdapter, ValidationError

from .auth import PrincipalKind
from .notes import Note, NoteAbout
from .referrals import may_know, not_found
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import ReasonCode

    from .auth import Principal
    from .referrals import Referral

__all__ = ["Reassigning", "decide_reassignment"]

_PROVIDER_ID: Final = TypeAdapter(ProviderId)


@dataclass(frozen=True)
class Reassigning:
    """What a coordinator's reassignment does: the request and its note, or a refusal."""

    request: ReferralReassignmentRequested | None = None
    note: Note | None = None
    refusal: Refusal | None = None


def decide_reassignment(
    referral: Referral | None,
    principal: Principal,
    *,
    referral_id: UUID,
    provider_id: str | None,
    reason: ReasonCode,
    note: str | None = None,
    earlier: datetime | None,
    request_id: UUID,
    note_id: UUID,
    at: datetime,
) -> Reassigning:
    """Send a referral awaiting acceptance to `provider_id` (None: the next suitable one).

    `earlier` is when a reassignment of this referral was asked before: one is enough, as
    the router withdraws the referral on the first (refused with 409, like a referral that
    has moved on). The request carries the reason code; the note's words stay here.
    """
    if referral is None or not may_know(referral, principal):
        return Reassigning(refusal=not_found("referral", referral_id))
    if principal.kind is not PrincipalKind.COORDINATOR:
        why = "only a case coordinator may send a referral to another provider"
        return Reassigning(refusal=Refusal.of(RefusalKind.FORBIDDEN, "authorization", why))
    if provider_id is not None and not _is_provider_id(provider_id):
        why = "is not a provider id: 2 to 63 lower-case letters, digits or hyphens"
        return Reassigning(refusal=Refusal.of(RefusalKind.INVALID, "provider_id", why))
    conflict = _conflict(referral, provider_id, earlier)
    if conflict is not None:
        return Reassigning(refusal=Refusal.of(RefusalKind.CONFLICT, "referral", conflict))
    request = ReferralReassignmentRequested(
        request_id=request_id,
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        coordinator_id=principal.id,
        provider_id=provider_id,
        reason=reason,
        at=at,
    )
    written = None
    if note is not None:
        written = Note(
            note_id=note_id,
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            about=NoteAbout.REASSIGN,
            source_id=request_id,
            reason=reason,
            writer_kind=principal.kind,
            writer_id=principal.id,
            written_at=at,
            words=note,
        )
    return Reassigning(request=request, note=written)


def _conflict(referral: Referral, provider_id: str | None, earlier: datetime | None) -> str | None:
    """Why the referral cannot move now (it reads after "referral"); None when it can."""
    stage = referral.stage
    if stage is ReferralStatus.WITHDRAWN:
        return "was withdrawn from its provider; it has moved on already"
    if stage is not ReferralStatus.REQUESTED:
        return f"is {stage.value}: only a referral awaiting acceptance moves"
    if earlier is not None:
        return f"is being sent to another provider already, as asked at {earlier.isoformat()}"
    if provider_id == referral.provider_id:
        return f"is already with {provider_id}"
    return None


def _is_provider_id(value: str) -> bool:
    try:
        _PROVIDER_ID.validate_python(value)
    except ValidationError:
        return False
    return True

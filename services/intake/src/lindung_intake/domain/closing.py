"""A case coordinator closing a case with an outcome: what intake decides.

Intake is the door: it checks who asks (a coordinator, for a case of a state they cover),
that the case is not closed or being closed already, and that the router has referred it
(a request racing the case's own routing would find nothing to cancel). It records the
request with its outcome and reason codes, the words sealed as a note, and passes it to
the router, which cancels what still awaits acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import CaseCloseRequested, ReasonCode

from .auth import PrincipalKind
from .notes import Note, NoteAbout
from .referrals import not_found
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from lindung_contracts import CaseOutcome

    from .auth import Principal

__all__ = ["CaseToClose", "Closing", "decide_closing"]


@dataclass(frozen=True)
class CaseToClose:
    """What intake knows of a case when a coordinator closes it."""

    case_id: UUID
    state: str | None  # where the child was identified
    routed: bool  # whether the router has referred it (a referral or an alert is known)
    asked_at: datetime | None = None  # when its closing was asked, if it was
    closed_at: datetime | None = None  # when the router closed it, if it did


@dataclass(frozen=True)
class Closing:
    """What a coordinator's closing does: the request and its note, or a refusal."""

    request: CaseCloseRequested | None = None
    note: Note | None = None
    refusal: Refusal | None = None


def decide_closing(
    case: CaseToClose | None,
    principal: Principal,
    *,
    case_id: UUID,
    outcome: CaseOutcome,
    reason: ReasonCode | None = None,
    note: str | None = None,
    request_id: UUID,
    note_id: UUID,
    at: datetime,
) -> Closing:
    """Close a case of a state the coordinator covers; one request per case.

    A case unknown, merged into another, or of a state the coordinator does not cover is
    not found, like one that does not exist. The request carries the codes; the note's
    words stay here.
    """
    if principal.kind is not PrincipalKind.COORDINATOR:
        why = "only a case coordinator may close a case"
        return Closing(refusal=Refusal.of(RefusalKind.FORBIDDEN, "authorization", why))
    if case is None or not principal.covers(case.state):
        return Closing(refusal=not_found("case", case_id))
    conflict = _conflict(case)
    if conflict is not None:
        return Closing(refusal=Refusal.of(RefusalKind.CONFLICT, "case", conflict))
    request = CaseCloseRequested(
        request_id=request_id,
        case_id=case.case_id,
        coordinator_id=principal.id,
        outcome=outcome,
        reason=reason,
        at=at,
    )
    written = None
    if note is not None:
        written = Note(
            note_id=note_id,
            referral_id=None,
            case_id=case.case_id,
            about=NoteAbout.CLOSE,
            source_id=request_id,
            # A note's reason is a code; a closing given none keeps `other`.
            reason=reason or ReasonCode.OTHER,
            writer_kind=principal.kind,
            writer_id=principal.id,
            written_at=at,
            words=note,
        )
    return Closing(request=request, note=written)


def _conflict(case: CaseToClose) -> str | None:
    """Why the case cannot be closed now (it reads after "case"); None when it can."""
    if case.closed_at is not None:
        return f"was closed at {case.closed_at.isoformat()}"
    if case.asked_at is not None:
        return f"is being closed already, as asked at {case.asked_at.isoformat()}"
    if not case.routed:
        return "is still being referred to its providers; try again in a moment"
    return None

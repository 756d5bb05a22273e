"""An identification opening a case, joining one, or repeating one; who reads a case."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import CaseOpened

from .auth import Principal, PrincipalKind
from .refusal import Refusal, RefusalKind
from .rules import check_identification_time

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime, timedelta
    from uuid import UUID

    from lindung_contracts import IdentificationFacts

__all__ = ["OpenedCase", "Opening", "StoredCase", "decide_opening", "may_read_case"]


@dataclass(frozen=True)
class StoredCase:
    """What is needed to answer a repeated identification."""

    case_id: UUID
    body_sha256: str
    linked_to: UUID | None = None

    @property
    def root(self) -> UUID:
        """The case the agency sees: the first agency's case when this one was linked."""
        return self.linked_to or self.case_id


@dataclass(frozen=True)
class OpenedCase:
    """The outcome of an identification: its case, and whether this call created it.

    `linked`: the child was already known by a document number, so the identification
    joined that case (opened by another agency, or earlier) instead of opening one.
    """

    case_id: UUID
    created: bool
    linked: bool = False


@dataclass(frozen=True)
class Opening:
    """What an identification does: where it lands, whether it is stored, its event; or no."""

    opened: OpenedCase | None = None
    # Store the identification as a case of its own (linked to `opened.case_id` if `linked`).
    store: bool = False
    event: CaseOpened | None = None
    refusal: Refusal | None = None


def decide_opening(
    identification: IdentificationFacts,
    *,
    agency_id: str,
    fingerprint: str,
    existing: StoredCase | None,
    documented: UUID | None,
    case_id: UUID,
    now: datetime,
    skew: timedelta,
    oldest: timedelta,
) -> Opening:
    """Open a case, join the case that named the same document, or repeat the same answer.

    `existing` is the case this agency already sent under the same reference (the same
    identification, compared by `fingerprint`, is a repeat; another is a conflict);
    `documented` is the first case that named one of the child's documents: the child is
    known, so the identification joins it and no second set of referrals is made.
    """
    errors = check_identification_time(identification, now=now, skew=skew, oldest=oldest)
    if errors:
        return Opening(refusal=Refusal(RefusalKind.INVALID, tuple(errors)))
    if existing is not None:
        if not hmac.compare_digest(existing.body_sha256, fingerprint):
            reason = "already names another identification"
            return Opening(refusal=Refusal.of(RefusalKind.CONFLICT, "agency_reference", reason))
        linked = existing.linked_to is not None
        return Opening(OpenedCase(existing.root, created=False, linked=linked))
    if documented is not None:
        return Opening(OpenedCase(documented, created=True, linked=True), store=True)
    opened = CaseOpened(
        case_id=case_id,
        agency_id=agency_id,
        identified_at=identification.identified_at,
        opened_at=now,
        child=identification.child,
        situation=identification.situation,
    )
    return Opening(OpenedCase(case_id, created=True), store=True, event=opened)


def may_read_case(principal: Principal, reporters: Collection[str]) -> bool:
    """Every agency that reported the child reads its case; a coordinator reads any case."""
    if principal.kind is PrincipalKind.COORDINATOR:
        return True
    return principal.kind is PrincipalKind.AGENCY and principal.id in reporters

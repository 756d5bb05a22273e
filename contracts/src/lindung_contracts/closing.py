"""A case coordinator closing a case, with what became of the child, as an outcome code.

The outcomes follow the case-closure step of child-protection case management (the
Inter-agency Guidelines for Case Management and Child Protection, Child Protection Working
Group, 2014, and the closure reasons of Primero/CPIMS+): the case plan's services are in
place; the child is in another authority's care; the child is back with family after a
best-interest decision; the child is missing; or the case should never have been a case of
its own (a duplicate merged into another, opened in error). As with reasons, a code and
never words: words a coordinator adds are a note, sealed by intake. Each outcome has its
plain words in English and Malay here, for notices, pages and reports.

Closing ends the coordination, not the services under way: a referral still awaiting its
provider's acceptance is cancelled (with the reason code `case_closed`), while one a
provider has accepted or started stays with that provider, who completes it with its own
outcome so the loop still closes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from ._base import CaseId, CoordinatorId, Distinct, Instant, Payload, ReferralId
from .reasons import ReasonCode

__all__ = ["CASE_OUTCOME_WORDS", "CaseCloseRequested", "CaseClosed", "CaseOutcome"]


class CaseOutcome(StrEnum):
    """What became of the child when the case was closed, as a code."""

    # The services the child needs are delivered or under way with their providers.
    SERVICES_IN_PLACE = "services_in_place"
    # Another authority has the child in its care (another state's welfare department,
    # a court-ordered place of refuge, the authorities of the child's country on return).
    TRANSFERRED = "transferred"
    # Back with family, after a best-interest decision said that is safe for the child.
    REUNIFIED = "reunified"
    # The child cannot be found (ran away, taken, lost contact); a new identification
    # opens a new case if the child is found.
    CHILD_MISSING = "child_missing"
    # The same child's case already exists: the coordination continues there.
    MERGED = "merged"
    # Not a case at all (reported in error, a test record).
    OPENED_IN_ERROR = "opened_in_error"
    # None of these; a note in Lindung says what.
    OTHER = "other"


# The words each outcome stands for, in each language notices and pages are written in.
CASE_OUTCOME_WORDS: dict[CaseOutcome, dict[str, str]] = {
    CaseOutcome.SERVICES_IN_PLACE: {
        "en": "services in place",
        "ms": "perkhidmatan telah tersedia",
    },
    CaseOutcome.TRANSFERRED: {
        "en": "child transferred to another authority's care",
        "ms": "kanak-kanak dipindahkan ke jagaan pihak berkuasa lain",
    },
    CaseOutcome.REUNIFIED: {
        "en": "child reunited with family after a best-interest decision",
        "ms": "kanak-kanak disatukan semula dengan keluarga selepas keputusan kepentingan terbaik",
    },
    CaseOutcome.CHILD_MISSING: {
        "en": "the child is missing",
        "ms": "kanak-kanak hilang",
    },
    CaseOutcome.MERGED: {
        "en": "merged into another case of the same child",
        "ms": "digabungkan dengan kes lain bagi kanak-kanak yang sama",
    },
    CaseOutcome.OPENED_IN_ERROR: {
        "en": "opened in error",
        "ms": "dibuka secara tersilap",
    },
    CaseOutcome.OTHER: {
        "en": "another outcome (see the note in Lindung, if any)",
        "ms": "hasil lain (lihat nota dalam Lindung, jika ada)",
    },
}


class CaseCloseRequested(Payload):
    """A case coordinator asked, through intake, to close a case with an outcome.

    The router decides under the case's lock: it cancels every referral still awaiting
    acceptance, routes nothing more for the case, and says so once with `CaseClosed`; a
    case already closed stays as it was.
    """

    event_type: ClassVar[str] = "org.lindung.case.close-requested.v1"

    request_id: UUID = Field(description="Unique id of this request.")
    case_id: CaseId
    coordinator_id: CoordinatorId
    outcome: CaseOutcome = Field(
        description="What became of the child, as a code.", examples=["services_in_place"]
    )
    reason: ReasonCode | None = Field(
        default=None,
        description="Why, as a code, if the coordinator gave one; any words they added stay "
        "sealed in intake.",
        examples=["child_missing"],
    )
    at: Instant = Field(description="When the coordinator asked.")


class CaseClosed(Payload):
    """The router closed a case: what became of the child, and what it cancelled.

    Every referral still awaiting its provider's acceptance is cancelled (each with its own
    `ReferralCancelled`, reason code `case_closed`, before this event); referrals accepted
    or under way stay with their providers, who complete them. Nothing more is routed or
    escalated for the case.
    """

    event_type: ClassVar[str] = "org.lindung.case.closed.v1"

    request_id: UUID = Field(description="The `CaseCloseRequested` this answers.")
    case_id: CaseId
    coordinator_id: CoordinatorId = Field(description="Who closed it.")
    outcome: CaseOutcome = Field(description="What became of the child, as a code.")
    reason: ReasonCode | None = Field(
        default=None, description="Why, as a code, if the coordinator gave one."
    )
    cancelled: Annotated[tuple[ReferralId, ...], Distinct()] = Field(
        description="The referrals that were still awaiting acceptance and are now cancelled."
    )
    continuing: Annotated[tuple[ReferralId, ...], Distinct()] = Field(
        description="The referrals accepted or under way, left with their providers to "
        "complete with an outcome."
    )
    closed_at: Instant = Field(description="When the case was closed (the coordinator's time).")

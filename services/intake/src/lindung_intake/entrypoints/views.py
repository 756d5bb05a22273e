"""What intake's API answers: the bodies of its successful responses."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from datetime import datetime
from typing import Any
from uuid import UUID

from lindung_contracts import CaseOutcome, PassedOver, ReasonCode
from pydantic import BaseModel, Field

__all__ = [
    "AnswerRecorded",
    "AuditPage",
    "AuditedRead",
    "CaseAccepted",
    "CaseClosedView",
    "CaseReferral",
    "CaseView",
    "ClockChangeRecorded",
    "ReassignmentRecorded",
    "ReferralView",
]


class CaseAccepted(BaseModel):
    """The answer to an identification."""

    case_id: UUID = Field(description="The case opened (or already open) for it.")
    created: bool = Field(description="False when the same identification was sent before.")
    linked: bool = Field(
        default=False,
        description="The child was already known by a document number (reported by another "
        "agency, say): the identification joined that case, and no second set of referrals "
        "is made.",
    )


class AnswerRecorded(BaseModel):
    """The answer to a provider's response."""

    response_id: UUID = Field(description="Id of the recorded answer.")


class ClockChangeRecorded(BaseModel):
    """The answer to a pause or resume."""

    request_id: UUID = Field(description="Id of the recorded request.")


class ReassignmentRecorded(BaseModel):
    """The answer to a coordinator's reassignment: the router moves the referral next."""

    request_id: UUID = Field(description="Id of the recorded request.")


class ReferralView(BaseModel):
    """A referral as the provider it is addressed to reads it."""

    referral_id: UUID
    case_id: UUID
    service: str = Field(description="The service asked of this provider.")
    status: str = Field(description="Where the referral stands.")
    requested_at: datetime = Field(description="Start of the response window.")
    paused_since: datetime | None = Field(description="Set while a coordinator paused it.")
    shared: dict[str, Any] = Field(
        description="What this provider's service needs of the identification, and nothing "
        "more: a shelter sees age, gender, languages, exactly where the child is and how to "
        "reach the identifying officer; a child protector sees everything recorded. Empty "
        "without consent for the service's category (or a best-interest override). Every "
        "read is audited.",
    )


class CaseReferral(BaseModel):
    """One referral of a case, as the reporting agency sees it."""

    referral_id: UUID
    service: str
    provider_id: str
    status: str
    requested_at: datetime
    paused_since: datetime | None
    matched_by: str | None = Field(
        default=None,
        description="Why its provider was chosen: how it was matched (its state, a "
        "neighbouring state, the whole country) or the coordinator who named it.",
    )
    passed_over: list[PassedOver] = Field(
        default_factory=list,
        description="The providers ranked above it that the router did not ask, best-ranked "
        "first, each with why as a code: `declined_before`, `tried_before`, `not_accepting`, "
        "`out_of_area`, `at_capacity`, `wrong_language`. Provider ids and codes only (at "
        "most 10).",
    )


class CaseClosedView(BaseModel):
    """A closed case: what became of the child, who closed it and when."""

    outcome: CaseOutcome = Field(description="What became of the child, as a code.")
    reason: ReasonCode | None = Field(description="Why, as a code, if one was given.")
    closed_by: str = Field(description="The coordinator who closed it.")
    closed_at: datetime


class CaseView(BaseModel):
    """A case as an agency that reported it, or a case coordinator, reads it."""

    case_id: UUID
    agency_reference: str = Field(description="The first reporting agency's reference.")
    identified_at: datetime
    received_at: datetime = Field(description="When intake stored it.")
    reported_by: list[str] = Field(
        description="Every agency that reported the child (linked by a document number), "
        "the first first."
    )
    possible_duplicates: list[UUID] = Field(
        description="Other cases of a child with the same name and date of birth: for a "
        "coordinator to look into; never merged."
    )
    referrals: list[CaseReferral] = Field(description="Every referral made, oldest first.")
    closed: CaseClosedView | None = Field(
        default=None, description="What became of the child, once the case was closed."
    )


class AuditedRead(BaseModel):
    """One read of a referral or a case through the API, shown or refused."""

    at: datetime
    reader_kind: str = Field(description="agency, provider, coordinator or operations.")
    reader_id: str
    reader_person: str | None = Field(
        default=None, description="The person signed in at the desk; none for an API key."
    )
    resource: str = Field(description="referral, case, or notes (a referral's notes).")
    resource_id: UUID
    fields: list[str] = Field(
        description="The field paths shown (`notes.<note id>` for each note); none when refused."
    )
    shown: bool = Field(description="False: refused (someone else's, or unknown).")


class AuditPage(BaseModel):
    """The read audit, newest first."""

    reads: list[AuditedRead]

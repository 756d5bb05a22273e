"""Warnings before a referral's deadline and escalations after it, from the sla-monitor."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._base import CaseId, ContractModel, Instant, Payload, ProviderId, ReferralId
from .referral import RecipientRole, ServiceType

__all__ = ["DeadlineMissed", "DeadlineWarning", "PackageDeadlineMissed", "UnacceptedReferral"]


class _DeadlineFact(Payload):
    referral_id: ReferralId
    case_id: CaseId
    provider_id: ProviderId
    service: ServiceType = Field(description="The service of the referral.")
    requested_at: Instant = Field(description="Start of the response window.")
    due_at: Instant = Field(description="The deadline.")
    notify: RecipientRole = Field(description="Who must be told.")
    fired_at: Instant = Field(description="When the sla-monitor raised it.")


class DeadlineWarning(_DeadlineFact):
    """Part of the response window has passed without acceptance."""

    event_type: ClassVar[str] = "org.lindung.deadline.warning.v1"
    percent_of_window: int = Field(ge=1, le=99, description="How much of the window is gone.")


class DeadlineMissed(_DeadlineFact):
    """The deadline passed without acceptance: escalation at the given level."""

    event_type: ClassVar[str] = "org.lindung.deadline.missed.v1"
    escalation_level: int = Field(
        ge=1, le=3, description="1 case coordinator, 2 supervisor, 3 national secretariat."
    )
    cause: str | None = Field(
        default=None,
        max_length=500,
        description="Why it was raised before its time, when it was: the referral, or the "
        "previous level's alert, could not be delivered.",
        examples=["level 1 could not be delivered to case_coordinator"],
    )
    overdue_at_request: bool = Field(
        default=False,
        description="The referral's deadline had passed before it was even made (a back-dated "
        "identification): raised once, when it was made; it does not withdraw the provider, "
        "whose own window has only begun.",
    )
    referral_undelivered: bool = Field(
        default=False,
        description="Raised at once because the referral itself could not be delivered to "
        "the provider (refused, gone, or retries exhausted): the provider never received it "
        "and was not silent, so the router withdraws it and asks the next suitable provider, "
        "whatever the policy says of silence.",
    )


class UnacceptedReferral(ContractModel):
    """A referral of the case still without an accepting provider."""

    referral_id: ReferralId
    service: ServiceType = Field(description="The service of the referral.")
    provider_id: ProviderId
    due_at: Instant = Field(description="The referral's own deadline.")


class PackageDeadlineMissed(Payload):
    """Not every referral of the case was accepted within the package window: one alert.

    Each referral has its own ladder; this is the case's: the child still lacks services
    the policy says should all be in place by now (72 h after identification by default).
    """

    event_type: ClassVar[str] = "org.lindung.case.package-missed.v1"

    case_id: CaseId
    due_at: Instant = Field(description="When every referral should have been accepted.")
    unaccepted: tuple[UnacceptedReferral, ...] = Field(
        min_length=1, description="The referrals still waiting for a provider."
    )
    notify: RecipientRole = Field(description="Who is alerted: the case coordinator.")
    fired_at: Instant = Field(description="When the sla-monitor raised it.")

"""A person taking ownership of an alert: acknowledged is not accepted.

After PagerDuty's and Opsgenie's acknowledgement: a coordinator (or a supervisor) who
acknowledges an alert says "I am on it". For a referral's escalation, the next level of
its ladder then waits the policy's acknowledgement window from the acknowledgement, and
fires anyway if the referral is still not accepted when the window ends.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ._base import CaseId, CoordinatorId, Instant, Payload, ReferralId

__all__ = ["AlertAcknowledged", "AlertKind"]


class AlertKind(StrEnum):
    """Which kind of alert to coordinators and supervisors was acknowledged."""

    # `DeadlineMissed`: one referral's escalation at one level.
    DEADLINE_MISSED = "deadline_missed"
    # `PackageDeadlineMissed`: not every referral of the case was accepted in time.
    PACKAGE_MISSED = "package_missed"
    # `NoProviderAvailable`: no suitable provider left for a service of the case.
    NO_PROVIDER = "no_provider"
    # `DetentionEscalated`: the child was identified in detention or a lock-up.
    DETENTION = "detention"
    # `NotificationFailed`: the notifier gave up delivering a notice to a provider or a role.
    DELIVERY_FAILED = "delivery_failed"
    # `LegalClockMissed`: a legal time limit of the case passed without its milestone.
    LEGAL_CLOCK_MISSED = "legal_clock_missed"


class AlertAcknowledged(Payload):
    """A coordinator took ownership of an alert, through intake.

    It stops nothing: for a referral's escalation the next level is only held back by the
    acknowledgement window, and acceptance alone stops the ladder.
    """

    event_type: ClassVar[str] = "org.lindung.alert.acknowledged.v1"
    subject_field: ClassVar[str] = "alert_id"

    acknowledgement_id: UUID = Field(description="Unique id of this acknowledgement.")
    alert_id: UUID = Field(
        description="The CloudEvents `id` of the alert acknowledged (a `DeadlineMissed`, a "
        "`PackageDeadlineMissed`, a `NoProviderAvailable`, a `DetentionEscalated` or a "
        "`NotificationFailed`)."
    )
    kind: AlertKind = Field(description="Which kind of alert it was.")
    case_id: CaseId
    referral_id: ReferralId | None = Field(
        default=None,
        description="The referral whose escalation was acknowledged; set exactly when `kind` "
        "is `deadline_missed` (the other alerts concern the whole case).",
    )
    escalation_level: int | None = Field(
        default=None,
        ge=1,
        le=3,
        description="The level of the escalation acknowledged; set exactly when `kind` is "
        "`deadline_missed`. The next level waits the acknowledgement window.",
    )
    coordinator_id: CoordinatorId = Field(
        description="Who took ownership: a person's user name (or a coordinator key's holder)."
    )
    acknowledged_at: Instant = Field(description="When they acknowledged it.")

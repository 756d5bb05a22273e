"""What the notifier did with each thing it had to deliver."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ._base import CaseId, Instant, Payload
from .referral import RecipientRole

__all__ = ["Channel", "NotificationDelivered", "NotificationFailed"]


class Channel(StrEnum):
    """How a notification travels."""

    WEBHOOK = "webhook"
    EMAIL = "email"  # SMTP with STARTTLS, in the recipient's language
    SMS = "sms"  # a plain-text notice through the SMS gateway: a reference and a link only


class _NotificationFact(Payload):
    notification_id: UUID = Field(description="One delivery of one event to one recipient.")
    case_id: CaseId
    referral_id: UUID | None = Field(description="The referral concerned, if any.")
    cause_event_id: UUID = Field(description="Id of the event that was delivered.")
    cause_type: str = Field(description="CloudEvents type of that event.")
    recipient: str = Field(
        description="Provider id or role that was addressed; or, when `role` is set, the id "
        "of the person on that role's rota who held the alert (never a name)."
    )
    channel: Channel = Field(description="How it travelled.")
    attempts: int = Field(ge=1, description="Attempts made.")
    role: RecipientRole | None = Field(
        default=None,
        description="When the notice went to whoever was on call for a role (the rota of the "
        "case's state), that role, and `recipient` is the person's id; null when a provider "
        "or the role's own endpoint was addressed, and from notifiers that predate the field.",
        examples=["case_coordinator"],
    )


class NotificationDelivered(_NotificationFact):
    """The recipient's endpoint acknowledged the notification."""

    event_type: ClassVar[str] = "org.lindung.notification.delivered.v1"
    delivered_at: Instant = Field(description="When the endpoint acknowledged it.")
    status_code: int = Field(description="HTTP status returned by the endpoint.")


class NotificationFailed(_NotificationFact):
    """Every attempt failed; the notifier gave up."""

    event_type: ClassVar[str] = "org.lindung.notification.failed.v1"
    failed_at: Instant = Field(description="When the notifier gave up.")
    error: str = Field(description="The last error, without personal data.")

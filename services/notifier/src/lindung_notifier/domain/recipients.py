"""Who must be told about an event: a provider, or a role with authority over the case."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    LegalClockMissed,
    NoProviderAvailable,
    PackageDeadlineMissed,
    RecipientRole,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
)

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_contracts import Payload

__all__ = ["Recipient", "RecipientKind", "recipients_for", "referral_of"]


class RecipientKind(StrEnum):
    """Whether a recipient is a provider from the directory or a role."""

    PROVIDER = "provider"
    ROLE = "role"
    PERSON = "person"  # someone on a role's rota, by the rota's id


@dataclass(frozen=True)
class Recipient:
    """One addressee of a notification: a provider id, a role name, or a person on a rota."""

    kind: RecipientKind
    name: str

    @classmethod
    def provider(cls, provider_id: str) -> Recipient:
        """A provider, by its directory id."""
        return cls(RecipientKind.PROVIDER, provider_id)

    @classmethod
    def role(cls, role: RecipientRole) -> Recipient:
        """A role (case coordinator, supervisor, secretariat)."""
        if role is RecipientRole.PROVIDER:
            raise ValueError("the provider role names no one until a referral says which")
        return cls(RecipientKind.ROLE, role.value)

    @classmethod
    def person(cls, person_id: str) -> Recipient:
        """Someone on a rota holding a role's alert, by their id in the rota file."""
        return cls(RecipientKind.PERSON, person_id)

    def describe(self) -> str:
        """Human-readable, for errors and logs: `provider shelter-kl-1`, `role supervisor`."""
        return f"{self.kind.value} {self.name}"


def recipients_for(payload: Payload) -> tuple[Recipient, ...]:  # noqa: PLR0911 - one case each
    """Everyone who must receive this event; empty when the notifier does not deliver it."""
    match payload:
        case ReferralRequested(provider_id=provider_id):
            return (Recipient.provider(provider_id),)
        # The referral is no longer the provider's: it must stop, so two never both act.
        case ReferralRerouted(provider_id=provider_id) | ReferralCancelled(provider_id=provider_id):
            return (Recipient.provider(provider_id),)
        case NoProviderAvailable():
            return (Recipient.role(RecipientRole.CASE_COORDINATOR),)
        case (
            DetentionEscalated(notify=notify)
            | PackageDeadlineMissed(notify=notify)
            | LegalClockMissed(notify=notify)
        ):
            return (Recipient.role(notify),)
        case DeadlineWarning() | DeadlineMissed():
            if payload.notify is RecipientRole.PROVIDER:
                return (Recipient.provider(payload.provider_id),)
            return (Recipient.role(payload.notify),)
        case _:
            return ()


def referral_of(payload: Payload) -> UUID | None:
    """The referral an event concerns, when it concerns one."""
    referral_id: UUID | None = getattr(payload, "referral_id", None)
    return referral_id

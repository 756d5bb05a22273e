"""The SMS-class notice: a reference and a link, in the recipient's language, and nothing else.

An SMS passes through a gateway and sits on a phone anyone may pick up: it carries no
personal data and no detail of the case, only what kind of notice it is, a short
reference the recipient can quote, and the link where they sign in to see the rest.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Final

from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    DetentionEscalated,
    LegalClockMissed,
    NoProviderAvailable,
    PackageDeadlineMissed,
    ReferralCancelled,
    ReferralRequested,
    ReferralRerouted,
)

if TYPE_CHECKING:
    from uuid import UUID

    from lindung_contracts import Payload

__all__ = ["SMS_LIMIT", "Language", "reference", "sms_text"]

SMS_LIMIT: Final = 160  # one GSM-7 segment


class Language(StrEnum):
    """The language a person reads their notices in."""

    MALAY = "ms"
    ENGLISH = "en"


# What each kind of notice says, in Malay and in English, without a word about the child.
_SAYS: Final[dict[type[Payload], tuple[str, str]]] = {
    ReferralRequested: ("Rujukan baharu", "New referral"),
    ReferralRerouted: ("Rujukan ditarik balik", "Referral withdrawn"),
    ReferralCancelled: ("Rujukan dibatalkan", "Referral cancelled"),
    NoProviderAvailable: ("Tiada penyedia", "No provider left"),
    DetentionEscalated: ("AMARAN tahanan", "DETENTION alert"),
    DeadlineWarning: ("Tarikh akhir hampir", "Deadline near"),
    DeadlineMissed: ("LEWAT, eskalasi", "LATE, escalation"),
    PackageDeadlineMissed: ("Pakej LEWAT", "Package LATE"),
    LegalClockMissed: ("Masa undang-undang LEWAT", "Legal time limit LATE"),
}
_OPEN: Final = {Language.MALAY: "Lihat", Language.ENGLISH: "Open"}


def reference(notification_id: UUID) -> str:
    """The short reference a recipient quotes: the first 8 hex digits of the delivery id."""
    return notification_id.hex[:8].upper()


def sms_text(payload: Payload, notification_id: UUID, link: str | None, language: Language) -> str:
    """`Lindung: <kind> [level], ref <ref>. <Open> <link>`: at most one SMS, ASCII only.

    Without a link (no desk configured) it ends after the reference.
    """
    malay, english = _SAYS[type(payload)]
    says = malay if language is Language.MALAY else english
    if isinstance(payload, DeadlineMissed):
        says += f" {payload.escalation_level}"
    text = f"Lindung: {says}, ref {reference(notification_id)}."
    if link is not None:
        text += f" {_OPEN[language]} {link}"
    if len(text) > SMS_LIMIT or not text.isascii():
        raise ValueError("the notice link makes the SMS too long or not plain ASCII")
    return text

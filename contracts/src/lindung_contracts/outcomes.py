"""What a completed referral did for the child: the closed loop, as a code.

A provider that completes a referral says whether the service was delivered in full, in
part, or not at all; when not in full, a reason code from `ReasonCode` says why (the
child went missing, declined, could not be reached...). As with reasons, a code and
never words: words a person adds are a note, sealed by intake. Each outcome has its
plain words in English and Malay here, for notices, pages and reports.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OUTCOME_WORDS", "Outcome"]


class Outcome(StrEnum):
    """What was done for the child, as a code: said when a referral is completed."""

    DELIVERED = "delivered"
    PARTLY_DELIVERED = "partly_delivered"
    NOT_DELIVERED = "not_delivered"

    @property
    def needs_reason(self) -> bool:
        """Whether a reason code must say why (anything short of delivered in full)."""
        return self is not Outcome.DELIVERED


# The words each outcome stands for, in each language notices and pages are written in.
OUTCOME_WORDS: dict[Outcome, dict[str, str]] = {
    Outcome.DELIVERED: {
        "en": "service delivered",
        "ms": "perkhidmatan diberikan",
    },
    Outcome.PARTLY_DELIVERED: {
        "en": "service partly delivered",
        "ms": "perkhidmatan diberikan sebahagiannya",
    },
    Outcome.NOT_DELIVERED: {
        "en": "service not delivered",
        "ms": "perkhidmatan tidak diberikan",
    },
}

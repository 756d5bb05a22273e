"""A missed deadline: a silent provider, or one that never received the referral."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from lindung_contracts import ReasonCode

from .lifecycle import ReferralState, ReferralStatus
from .policy import Silence

if TYPE_CHECKING:
    from datetime import datetime

    from lindung_contracts import DeadlineMissed

    from .policy import Policy

__all__ = ["SILENCE_NOTE", "UNDELIVERED_NOTE", "Miss", "MissOutcome", "on_missed"]

SILENCE_NOTE = "did not answer before the deadline"
UNDELIVERED_NOTE = "could not be sent the referral"


class MissOutcome(StrEnum):
    """What an escalation does to its referral."""

    IGNORED = "ignored"  # answered or ended meanwhile, unknown, or late before it was made
    ESCALATED = "escalated"  # the policy keeps the silent provider: the ladder goes on
    NOTED = "noted"  # undelivered while paused: re-routed once its clock runs again
    WITHDRAWN = "withdrawn"  # taken back and the next provider asked


@dataclass(frozen=True, slots=True)
class Miss:
    """The decision: withdraw (why, since when), remember, or leave the referral be."""

    outcome: MissOutcome
    why: str | None = None  # the note on the re-route: silence or undelivered
    detail: str | None = None
    at: datetime | None = None  # when the provider gave the service up
    code: ReasonCode | None = None  # `why` as a code, for notices in any language


def on_missed(referral: ReferralState | None, missed: DeadlineMissed, policy: Policy) -> Miss:
    """Whether an escalation takes the referral back and asks the next provider.

    A referral that could not be delivered is withdrawn whatever the policy says of
    silence: only a provider that received a referral can be silent. It is withdrawn when
    the failure is known or, if its clock was paused then, at the next escalation once it
    runs again; the next provider's window counts from then. A silent provider is
    withdrawn at the first escalation that finds the referral still waiting, where the
    policy re-routes silence for the service (after downtime that escalation may be level
    2 or 3: the lower ones were skipped). A paused referral is nobody's silence.
    """
    # Answered or ended meanwhile, or late before the provider was asked (its window runs).
    if (
        referral is None
        or referral.status is not ReferralStatus.REQUESTED
        or missed.overdue_at_request
    ):
        return Miss(MissOutcome.IGNORED)
    if referral.paused_at is not None:
        noted = missed.referral_undelivered
        return Miss(MissOutcome.NOTED, at=missed.fired_at) if noted else Miss(MissOutcome.IGNORED)
    if missed.referral_undelivered or referral.undelivered_at is not None:
        failed = referral.undelivered_at or missed.fired_at
        return Miss(
            MissOutcome.WITHDRAWN,
            why=UNDELIVERED_NOTE,
            detail=f"delivery failed for good at {failed.isoformat()}",
            at=missed.fired_at,
            code=ReasonCode.UNDELIVERED,
        )
    window = policy.windows.get(referral.service)
    if window is None or window.silence is not Silence.REROUTE:
        return Miss(MissOutcome.ESCALATED)
    # The new provider's window counts from the deadline, when the silence became fact.
    return Miss(
        MissOutcome.WITHDRAWN,
        why=SILENCE_NOTE,
        detail=f"no answer by {missed.due_at.isoformat()}",
        at=missed.due_at,
        code=ReasonCode.NO_ANSWER,
    )

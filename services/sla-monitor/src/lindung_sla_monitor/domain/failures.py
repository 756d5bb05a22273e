"""A delivery that failed for good: which escalation it raises at once, if any.

A referral the notifier could not deliver (refused, gone, retries exhausted) raises the
referral's next escalation at once, marked as undelivered: the coordinator hears why, and
the router asks the next provider, since one that never received a referral was not
silent. An escalation that could not be delivered raises the next level at once. Each is
the step the ladder would fire later, raised early and exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from lindung_contracts import DeadlineMissed, ReferralRequested

from .ladder import deadline_event

if TYPE_CHECKING:
    from datetime import datetime

    from lindung_contracts import NotificationFailed

    from .ladder import Deadline, Step

__all__ = ["HIGHEST_LEVEL", "EarlyEscalation", "FailureVerdict", "early_escalation", "on_failure"]

HIGHEST_LEVEL = 3
_CAUSE_CHARS = 500


class FailureVerdict(StrEnum):
    """What a delivery that failed for good does to its referral's ladder."""

    NOTHING = "nothing"  # a warning or a case-level alert: the ladder goes on as it is
    RAISE = "raise"  # an escalation is raised now
    NOBODY_ABOVE = "nobody_above"  # the highest level failed: the error log is the alarm


@dataclass(frozen=True, slots=True)
class EarlyEscalation:
    """The decision: raise the escalation at `level` (None: the lowest still pending)."""

    verdict: FailureVerdict
    level: int | None = None
    cause: str | None = None
    referral_undelivered: bool = False


def on_failure(failed: NotificationFailed, failed_level: int | None) -> EarlyEscalation:
    """What a failed delivery raises; `failed_level` is the level of the escalation that failed.

    A referral that could not be delivered raises its lowest escalation still pending (the
    first, unless the clock already raised it): whatever has been told so far, the
    provider never had the referral.
    """
    if failed.referral_id is None:
        return EarlyEscalation(FailureVerdict.NOTHING)  # case-level: no ladder to climb
    if failed.cause_type == ReferralRequested.event_type:
        cause = f"the referral could not be delivered to {failed.recipient}"
        return EarlyEscalation(
            FailureVerdict.RAISE, None, cause[:_CAUSE_CHARS], referral_undelivered=True
        )
    if failed.cause_type != DeadlineMissed.event_type or failed_level is None:
        return EarlyEscalation(FailureVerdict.NOTHING)  # a warning: the deadline still comes
    if failed_level >= HIGHEST_LEVEL:
        return EarlyEscalation(FailureVerdict.NOBODY_ABOVE)
    cause = f"level {failed_level} could not be delivered to {failed.recipient}"
    return EarlyEscalation(FailureVerdict.RAISE, failed_level + 1, cause[:_CAUSE_CHARS])


def early_escalation(
    deadline: Deadline, step: Step, decision: EarlyEscalation, now: datetime
) -> DeadlineMissed:
    """The escalation a failed delivery raises now, saying why it came early."""
    event = deadline_event(deadline, step, now)
    if not isinstance(event, DeadlineMissed):  # pragma: no cover - only escalations are locked
        raise TypeError("an early escalation must be an escalation step")
    return event.model_copy(
        update={"cause": decision.cause, "referral_undelivered": decision.referral_undelivered}
    )

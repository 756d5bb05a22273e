"""What a coordinator's acknowledgement of an alert does to a referral's ladder.

PagerDuty's and Opsgenie's semantics: acknowledged is not accepted. The person who
acknowledges a referral's escalation takes ownership; the next level waits until at least
the acknowledgement plus the policy's window, and the levels after it keep their spacing.
If the referral is still not accepted then, the next level fires anyway; acceptance alone
stops the ladder. Anything else (an alert not raised, a closed referral, a repeat, a case
alert with no ladder above it) is absorbed with its reason, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from lindung_contracts import AlertKind, StepKind

from .closing import DeadlineStatus

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from lindung_contracts import AlertAcknowledged

    from .closing import DeadlineState
    from .ladder import Step

__all__ = [
    "DEFAULT_ACKNOWLEDGEMENT_WINDOW",
    "AckOutcome",
    "Acknowledging",
    "acknowledgement_window",
    "on_acknowledgement",
]

# A referral from a router that predates the policy's window: PagerDuty's default
# acknowledgement timeout.
DEFAULT_ACKNOWLEDGEMENT_WINDOW = timedelta(minutes=30)


class AckOutcome(StrEnum):
    """What an acknowledgement did."""

    HELD = "held"  # the next level waits until `held_until` (it may have been later anyway)
    CASE_ALERT = "case_alert"  # a case's alert: no ladder above it to hold
    UNKNOWN_REFERRAL = "unknown_referral"  # no deadline of that referral is known here
    CLOSED = "closed"  # accepted (or otherwise closed): nothing is left to fire
    REPEAT = "repeat"  # that level of that referral was acknowledged before: the first holds
    NOT_RAISED = "not_raised"  # that level has not fired (yet): nobody can own it
    NOTHING_ABOVE = "nothing_above"  # no level above it is left to wait


@dataclass(frozen=True, slots=True)
class Acknowledging:
    """The outcome, why, and for a hold: until when, and how far the levels above move."""

    outcome: AckOutcome
    note: str
    held_until: datetime | None = None
    moved_by: timedelta = timedelta(0)


def acknowledgement_window(seconds: int | None) -> timedelta:
    """The window a referral's policy gave, or the documented default when it gave none."""
    return DEFAULT_ACKNOWLEDGEMENT_WINDOW if seconds is None else timedelta(seconds=seconds)


def on_acknowledgement(
    ack: AlertAcknowledged,
    known: DeadlineState | None,
    *,
    raised_levels: frozenset[int],
    held_before: bool,
    pending_above: Sequence[Step],
    window: timedelta,
) -> Acknowledging:
    """Hold back the levels above the acknowledged one, or say why nothing changes.

    `raised_levels` are the referral's escalation levels that fired; `held_before` says
    whether that level was already acknowledged with a hold; `pending_above` are its
    unfired escalations above the acknowledged level. All of them move by the same amount,
    so that the first comes no earlier than the acknowledgement plus `window`.
    """
    absorbed = _absorbed(ack, known, raised_levels=raised_levels, held_before=held_before)
    if absorbed is not None:
        return absorbed
    level = ack.escalation_level or 0  # set: a referral's escalation (checked just above)
    above = [s for s in pending_above if s.kind is StepKind.ESCALATION and s.level > level]
    if not above:
        return Acknowledging(AckOutcome.NOTHING_ABOVE, f"no level above {level} is left")
    held_until = ack.acknowledged_at + window
    first = min(step.at for step in above)
    moved_by = max(held_until - first, timedelta(0))
    note = f"level {min(s.level for s in above)} waits until the window ends"
    return Acknowledging(AckOutcome.HELD, note, held_until=held_until, moved_by=moved_by)


def _absorbed(
    ack: AlertAcknowledged,
    known: DeadlineState | None,
    *,
    raised_levels: frozenset[int],
    held_before: bool,
) -> Acknowledging | None:
    """Why an acknowledgement holds nothing back, or None when it may."""
    level = ack.escalation_level
    if ack.kind is not AlertKind.DEADLINE_MISSED or ack.referral_id is None or level is None:
        return Acknowledging(AckOutcome.CASE_ALERT, "a case's alert has no ladder above it")
    if known is None or not known.requested:
        return Acknowledging(AckOutcome.UNKNOWN_REFERRAL, "no deadline of this referral is known")
    if known.status is DeadlineStatus.CLOSED:
        return Acknowledging(AckOutcome.CLOSED, "the referral's clock has stopped already")
    if held_before:
        return Acknowledging(AckOutcome.REPEAT, f"level {level} was acknowledged before")
    if level not in raised_levels:
        return Acknowledging(AckOutcome.NOT_RAISED, f"level {level} has not been raised")
    return None

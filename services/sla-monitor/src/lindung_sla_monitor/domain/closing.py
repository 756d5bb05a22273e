"""When a referral's clock stops, and what a late or repeated event does to it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lindung_contracts import (
    Payload,
    ReferralAccepted,
    ReferralCancelled,
    ReferralCompleted,
    ReferralDeclined,
    ReferralRerouted,
    ReferralStarted,
)

from .ladder import Step, StepState, step_problem

__all__ = [
    "CLOSING_EVENTS",
    "CloseOutcome",
    "CloseReason",
    "DeadlineState",
    "DeadlineStatus",
    "RequestOutcome",
    "close_reason",
    "initial_step_state",
    "on_close",
    "on_request",
]


class CloseReason(StrEnum):
    """Why a referral's clock stopped."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REROUTED = "rerouted"


CLOSING_EVENTS: dict[type[Payload], CloseReason] = {
    ReferralAccepted: CloseReason.ACCEPTED,
    ReferralDeclined: CloseReason.DECLINED,
    # Starting or completing implies the provider took the child: the clock has stopped.
    ReferralStarted: CloseReason.STARTED,
    ReferralCompleted: CloseReason.COMPLETED,
    ReferralCancelled: CloseReason.CANCELLED,
    # The old referral ends; its replacement arrives as a new ReferralRequested.
    ReferralRerouted: CloseReason.REROUTED,
}


def close_reason(payload: Payload) -> CloseReason | None:
    """Why this event stops a referral's clock, or None when it does not."""
    return CLOSING_EVENTS.get(type(payload))


class DeadlineStatus(StrEnum):
    """Whether a referral's clock runs."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class DeadlineState:
    """What is known of a referral: its clock, and whether its request has arrived."""

    status: DeadlineStatus
    requested: bool


class RequestOutcome(StrEnum):
    """What a ReferralRequested does."""

    OPEN = "open"  # a new clock starts
    DUPLICATE = "duplicate"  # already known: nothing changes
    RECORD_CLOSED = "record_closed"  # closed before it arrived: keep the details, no clock


class CloseOutcome(StrEnum):
    """What a closing event does."""

    CLOSE = "close"  # the running clock stops; unfired steps never fire
    ALREADY_CLOSED = "already_closed"  # the first closure stands
    CLOSE_UNSEEN = "close_unseen"  # remembered, so a late request opens no clock


def on_request(known: DeadlineState | None) -> RequestOutcome:
    """A referral request opens a clock only for a referral never seen before."""
    if known is None:
        return RequestOutcome.OPEN
    if known.status is DeadlineStatus.CLOSED and not known.requested:
        return RequestOutcome.RECORD_CLOSED
    return RequestOutcome.DUPLICATE


def on_close(known: DeadlineState | None) -> CloseOutcome:
    """A closing event stops an open clock; the first closure of a referral is the one kept."""
    if known is None:
        return CloseOutcome.CLOSE_UNSEEN
    if known.status is DeadlineStatus.OPEN:
        return CloseOutcome.CLOSE
    return CloseOutcome.ALREADY_CLOSED


def initial_step_state(step: Step, status: DeadlineStatus) -> tuple[StepState, str | None]:
    """How a received step is stored: pending on a running clock, else settled with a note."""
    if status is DeadlineStatus.CLOSED:
        return StepState.CANCELLED, "referral closed before it was requested"
    problem = step_problem(step)
    if problem is not None:
        return StepState.SKIPPED, problem
    return StepState.PENDING, None

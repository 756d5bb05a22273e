"""Which steps of a deadline's ladder are due at a given time, and what each one raises."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    EscalationStep,
    RecipientRole,
    ServiceType,
    StepKind,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

__all__ = [
    "OVERDUE_STEP_NO",
    "Deadline",
    "Step",
    "StepState",
    "Verdict",
    "deadline_event",
    "due_steps",
    "highest_due",
    "overdue_escalation",
    "package_event_id",
    "skip_note",
    "step_event_id",
    "step_from_contract",
    "step_problem",
    "verdict",
]

# Fixed forever: event ids derived from it must stay the same across releases.
_STEP_EVENT_NAMESPACE = uuid.UUID("6f1d3c2e-5b0a-4f43-9a57-2d1c8e0b7a41")
_MAX_LEVEL = 3
# The step number of the one escalation of a referral late before it was made; beyond any
# ladder the policy can give (steps are numbered from 0 in the order received).
OVERDUE_STEP_NO = 999
_MAX_WARNING_PERCENT = 99


class StepState(StrEnum):
    """Where a step of the ladder stands."""

    PENDING = "pending"
    FIRED = "fired"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Verdict(StrEnum):
    """What to do with a pending step at a given time."""

    NOT_YET = "not_yet"
    FIRE = "fire"
    SKIP_STALE = "skip_stale"
    SKIP_SUPERSEDED = "skip_superseded"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One referral's response window."""

    referral_id: uuid.UUID
    case_id: uuid.UUID
    provider_id: str
    service: ServiceType
    requested_at: datetime
    due_at: datetime
    # The policy's acknowledgement window as the request carried it (None: the default).
    acknowledgement_window_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of a referral's ladder; `step_no` is its position in the ladder received."""

    step_no: int
    kind: StepKind
    level: int
    percent_of_window: int
    at: datetime
    notify: RecipientRole


def step_from_contract(step_no: int, step: EscalationStep) -> Step:
    """The ladder rung as the router sent it."""
    return Step(
        step_no=step_no,
        kind=step.kind,
        level=step.level,
        percent_of_window=step.percent_of_window,
        at=step.at,
        notify=step.notify,
    )


def step_problem(step: Step) -> str | None:
    """Why a step can never raise a valid event, or None when it can.

    Such a step is recorded as skipped when the referral arrives, so it cannot block the
    timer later by failing every time it comes due.
    """
    if step.kind is StepKind.WARNING and not 1 <= step.percent_of_window <= _MAX_WARNING_PERCENT:
        return f"warning at {step.percent_of_window}% of the window is not within 1-99%"
    if step.kind is StepKind.ESCALATION and not 1 <= step.level <= _MAX_LEVEL:
        return f"escalation level {step.level} is not within 1-3"
    return None


def verdict(step: Step, due_at: datetime, now: datetime, *, highest_due: int = 0) -> Verdict:
    """Fire a step whose time has come; skip what a later step already says.

    A warning that only goes out after the deadline helps nobody: the escalation at the
    deadline carries the news. An escalation whose higher level is due as well (the
    scheduler was down while both came due) is skipped: only the highest level fires,
    once, not every level of the ladder in the same second. `highest_due` is the highest
    escalation level of the referral whose time has come, fired or pending.
    """
    if step.at > now:
        return Verdict.NOT_YET
    if step.kind is StepKind.WARNING and due_at <= now:
        return Verdict.SKIP_STALE
    if step.kind is StepKind.ESCALATION and step.level < highest_due:
        return Verdict.SKIP_SUPERSEDED
    return Verdict.FIRE


def due_steps(
    pending: Iterable[tuple[Deadline, Step]],
    now: datetime,
    *,
    reached: Mapping[uuid.UUID, int] | None = None,
) -> list[tuple[Deadline, Step, Verdict]]:
    """The pending steps whose time has come, in time order, each with its verdict.

    `reached` gives, per referral, the highest escalation level whose time has come
    beyond the steps given here (fired already, or not among them); the steps given
    count too.
    """
    ordered = sorted(
        pending, key=lambda item: (item[1].at, str(item[0].referral_id), item[1].step_no)
    )
    highest = highest_due(ordered, now, reached=reached)
    decided = (
        (
            deadline,
            step,
            verdict(step, deadline.due_at, now, highest_due=highest.get(deadline.referral_id, 0)),
        )
        for deadline, step in ordered
    )
    return [item for item in decided if item[2] is not Verdict.NOT_YET]


def highest_due(
    pending: Iterable[tuple[Deadline, Step]],
    now: datetime,
    *,
    reached: Mapping[uuid.UUID, int] | None = None,
) -> dict[uuid.UUID, int]:
    """Per referral, the highest escalation level whose time has come (see `due_steps`)."""
    highest = dict(reached or {})
    for deadline, step in pending:
        if step.kind is StepKind.ESCALATION and step.at <= now:
            rid = deadline.referral_id
            highest[rid] = max(highest.get(rid, 0), step.level)
    return highest


def skip_note(decision: Verdict, highest_due: int) -> str:
    """Why a step was settled without an event, as stored beside it."""
    if decision is Verdict.SKIP_SUPERSEDED:
        return f"level {highest_due} was due as well and carries the news: only it fires"
    return "deadline already passed: the escalation carries the news"


def step_event_id(referral_id: uuid.UUID, step_no: int) -> uuid.UUID:
    """The one event id a step can ever raise, so that any second raise is a duplicate."""
    return uuid.uuid5(_STEP_EVENT_NAMESPACE, f"{referral_id}/{step_no}")


def deadline_event(
    deadline: Deadline, step: Step, now: datetime
) -> DeadlineWarning | DeadlineMissed:
    """The event a firing step raises: a warning before the deadline, an escalation after."""
    if step.kind is StepKind.WARNING:
        return DeadlineWarning(
            referral_id=deadline.referral_id,
            case_id=deadline.case_id,
            provider_id=deadline.provider_id,
            service=deadline.service,
            requested_at=deadline.requested_at,
            due_at=deadline.due_at,
            notify=step.notify,
            fired_at=now,
            percent_of_window=step.percent_of_window,
        )
    return DeadlineMissed(
        referral_id=deadline.referral_id,
        case_id=deadline.case_id,
        provider_id=deadline.provider_id,
        service=deadline.service,
        requested_at=deadline.requested_at,
        due_at=deadline.due_at,
        notify=step.notify,
        fired_at=now,
        escalation_level=step.level,
    )


def overdue_escalation(
    deadline: Deadline, overdue_since: datetime, now: datetime
) -> tuple[Step, DeadlineMissed]:
    """The one escalation of a referral whose deadline passed before it was made.

    A back-dated identification would otherwise fire every step of the ladder in the same
    second. Instead the case coordinator is told once, now, that the deadline counted from
    identification has passed; the referral's own ladder runs from its request. Stored
    as a step (already fired), so a failed delivery of it raises level 2 like any level 1.
    """
    step = Step(
        step_no=OVERDUE_STEP_NO,
        kind=StepKind.ESCALATION,
        level=1,
        percent_of_window=100,
        at=deadline.requested_at,
        notify=RecipientRole.CASE_COORDINATOR,
    )
    missed = DeadlineMissed(
        referral_id=deadline.referral_id,
        case_id=deadline.case_id,
        provider_id=deadline.provider_id,
        service=deadline.service,
        requested_at=deadline.requested_at,
        due_at=overdue_since,
        notify=step.notify,
        fired_at=now,
        escalation_level=1,
        cause="the deadline counted from identification had passed before the referral was made",
        overdue_at_request=True,
    )
    return step, missed


def package_event_id(case_id: uuid.UUID) -> uuid.UUID:
    """The one event id a case's package deadline can ever raise."""
    return uuid.uuid5(_STEP_EVENT_NAMESPACE, f"{case_id}/package")

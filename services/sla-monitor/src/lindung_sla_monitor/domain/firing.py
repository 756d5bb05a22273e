"""What one pass of the scheduler raises and settles: decisions over the rows it locked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from lindung_contracts import (
    DeadlineMissed,
    DeadlineWarning,
    PackageDeadlineMissed,
    RecipientRole,
    StepKind,
    UnacceptedReferral,
)

from .ladder import (
    Deadline,
    Step,
    Verdict,
    deadline_event,
    due_steps,
    highest_due,
    package_event_id,
    skip_note,
    step_event_id,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping, Sequence
    from datetime import datetime

__all__ = ["Fire", "FirePlan", "PackageDue", "Skip", "plan_fires", "settle_packages"]


@dataclass(frozen=True, slots=True)
class Fire:
    """A step that fires now: its event, the one id it can have, and when it was due."""

    deadline: Deadline
    step: Step
    event: DeadlineWarning | DeadlineMissed
    event_id: uuid.UUID
    # When it was due to fire (an escalation waits out the grace): how late it went out.
    due: datetime


@dataclass(frozen=True, slots=True)
class Skip:
    """A step settled without an event, and why."""

    referral_id: uuid.UUID
    step: Step
    note: str

    @property
    def breach(self) -> bool:
        """A level 1 skipped for a higher level: the deadline passed unaccepted all the same."""
        return self.step.kind is StepKind.ESCALATION and self.step.level == 1


@dataclass(frozen=True, slots=True)
class FirePlan:
    """What a pass does with the due steps it locked."""

    fires: list[Fire]
    skips: list[Skip]


def plan_fires(
    locked: Sequence[tuple[Deadline, Step]],
    now: datetime,
    *,
    grace: timedelta = timedelta(0),
    reached: Mapping[uuid.UUID, int] | None = None,
) -> FirePlan:
    """Fire the due steps in time order; skip stale warnings and superseded escalations.

    `reached` is, per referral, the highest escalation level whose time has come among
    the steps not locked here (fired already, or locked by the next batch): after
    downtime only that level fires, once, whichever batch it falls in.
    """
    highest = highest_due(locked, now, reached=reached)
    fires: list[Fire] = []
    skips: list[Skip] = []
    for deadline, step, decision in due_steps(locked, now, reached=highest):
        rid = deadline.referral_id
        if decision is not Verdict.FIRE:
            skips.append(Skip(rid, step, skip_note(decision, highest.get(rid, 0))))
            continue
        wait = grace if step.kind is StepKind.ESCALATION else timedelta(0)
        fires.append(
            Fire(
                deadline=deadline,
                step=step,
                event=deadline_event(deadline, step, now),
                event_id=step_event_id(rid, step.step_no),
                due=step.at + wait,
            )
        )
    return FirePlan(fires, skips)


@dataclass(frozen=True, slots=True)
class PackageDue:
    """A case's package deadline that has come, with its referrals still unaccepted."""

    case_id: uuid.UUID
    due_at: datetime
    unaccepted: tuple[UnacceptedReferral, ...]


def settle_packages(
    due: Sequence[PackageDue], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID | None, PackageDeadlineMissed | None]]:
    """Per case: met (nothing raised), or one alert with the one id it can ever have."""
    settled: list[tuple[uuid.UUID, uuid.UUID | None, PackageDeadlineMissed | None]] = []
    for package in due:
        if not package.unaccepted:
            settled.append((package.case_id, None, None))
            continue
        alert = PackageDeadlineMissed(
            case_id=package.case_id,
            due_at=package.due_at,
            unaccepted=package.unaccepted,
            notify=RecipientRole.CASE_COORDINATOR,
            fired_at=now,
        )
        settled.append((package.case_id, package_event_id(package.case_id), alert))
    return settled

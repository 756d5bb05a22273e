"""A case coordinator recording a legal milestone of a case: what intake decides.

A milestone (taken into care, brought before a Protector, examined, a court date set) is
a code and a time: when it happened, which may be earlier than now (recorded late) but
not later. Intake checks who records it (a coordinator, for a case of a state they
cover), that the case is open, that the kind was not recorded already, and that a court
date comes with `court_date_set`; the sla-monitor runs the clocks it starts and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lindung_contracts import CaseMilestoneRecorded, MilestoneKind

from .auth import PrincipalKind
from .referrals import not_found
from .refusal import Refusal, RefusalKind

if TYPE_CHECKING:
    from datetime import date, datetime, timedelta
    from uuid import UUID

    from .auth import Principal
    from .closing import CaseToClose

__all__ = ["MilestoneRecording", "decide_milestone"]


@dataclass(frozen=True)
class MilestoneRecording:
    """What recording a milestone does: the event to pass on, or a refusal."""

    milestone: CaseMilestoneRecorded | None = None
    refusal: Refusal | None = None


def decide_milestone(
    case: CaseToClose | None,
    recorded: dict[MilestoneKind, datetime],
    principal: Principal,
    *,
    case_id: UUID,
    kind: MilestoneKind,
    at: datetime,
    court_date: date | None,
    milestone_id: UUID,
    now: datetime,
    skew: timedelta,
    oldest: timedelta,
) -> MilestoneRecording:
    """Record a milestone of an open case of a state the coordinator covers; one per kind.

    `recorded` are the case's milestones already recorded, with when they happened; `skew`
    is how far in the future a time may be (clocks differ), `oldest` how far back.
    """
    if principal.kind is not PrincipalKind.COORDINATOR:
        why = "only a case coordinator may record a case's milestones"
        return MilestoneRecording(refusal=Refusal.of(RefusalKind.FORBIDDEN, "authorization", why))
    if case is None or not principal.covers(case.state):
        return MilestoneRecording(refusal=not_found("case", case_id))
    within = (now - oldest, now + skew)
    refusal = _refusal(case, recorded, kind=kind, at=at, court_date=court_date, within=within)
    if refusal is not None:
        return MilestoneRecording(refusal=refusal)
    return MilestoneRecording(
        milestone=CaseMilestoneRecorded(
            milestone_id=milestone_id,
            case_id=case.case_id,
            kind=kind,
            at=at,
            court_date=court_date,
            coordinator_id=principal.id,
            recorded_at=now,
        )
    )


def _refusal(
    case: CaseToClose,
    recorded: dict[MilestoneKind, datetime],
    *,
    kind: MilestoneKind,
    at: datetime,
    court_date: date | None,
    within: tuple[datetime, datetime],
) -> Refusal | None:
    """Why this milestone cannot be recorded (`within`: the times it may have); or None."""
    if (kind is MilestoneKind.COURT_DATE_SET) != (court_date is not None):
        why = "is given with court_date_set, and only with it"
        return Refusal.of(RefusalKind.INVALID, "court_date", why)
    earliest, latest = within
    if at > latest:
        return Refusal.of(RefusalKind.INVALID, "at", "is in the future: give when it happened")
    if at < earliest:
        why = f"is more than {(latest - earliest).days} days back: too old for a legal clock"
        return Refusal.of(RefusalKind.INVALID, "at", why)
    if case.closed_at is not None:
        return Refusal.of(
            RefusalKind.CONFLICT, "case", f"was closed at {case.closed_at.isoformat()}"
        )
    if kind in recorded:
        why = f"was recorded already, as at {recorded[kind].isoformat()}"
        return Refusal.of(RefusalKind.CONFLICT, "kind", why)
    return None

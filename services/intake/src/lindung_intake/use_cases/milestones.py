"""A case coordinator recording a legal milestone of a case (taken into care, examined, ...).

One unit of work: load the case (locked) and its milestones, decide
(`domain.decide_milestone`), record it and emit `CaseMilestoneRecorded` for the
sla-monitor, which starts and stops the legal clocks it chains. Independent of HTTP: the
API and the desk call the same use case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from lindung_intake.adapters import closing as cases
from lindung_intake.adapters import milestones as stored
from lindung_intake.domain.milestones import decide_milestone

from .errors import refused

if TYPE_CHECKING:
    from datetime import date, datetime
    from uuid import UUID

    from lindung_common import Units, Work
    from lindung_contracts import Envelope, MilestoneKind

    from lindung_intake.domain import Principal

__all__ = ["ClockRead", "MilestoneRead", "Milestones", "mirror_clocks"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MilestoneRead:
    """One recorded milestone as the case page shows it."""

    kind: str
    at: datetime
    court_date: date | None
    coordinator_id: str
    recorded_at: datetime


@dataclass(frozen=True)
class ClockRead:
    """One legal clock of a case as the case page shows it."""

    clock: str
    state: str
    started_by: str
    started_at: datetime
    stopped_by: str
    due_at: datetime
    stopped_at: datetime | None
    source: str


async def mirror_clocks(work: Work, envelopes: list[Envelope[Any]]) -> None:
    """Remember where each legal clock of a case stands, as the sla-monitor says."""
    await stored.upsert_clocks(work.conn, [e.data for e in envelopes])


class Milestones:
    """What a coordinator does to record a case's milestones, and reads of them."""

    def __init__(self, units: Units, *, clock_skew_seconds: float, oldest_days: int = 30) -> None:
        self._units = units
        self._skew = timedelta(seconds=clock_skew_seconds)
        self._oldest = timedelta(days=oldest_days)

    async def record(
        self,
        principal: Principal,
        case_id: UUID,
        kind: MilestoneKind,
        at: datetime,
        court_date: date | None = None,
    ) -> UUID:
        """Record that a milestone of a case happened at `at`; the record's id.

        A case unknown to the caller is 404; a closed case, or a kind recorded already,
        409; a time in the future or further back than the oldest identification intake
        takes, or a court date missing or out of place, 422.
        """
        async with self._units.open() as work:
            decided = decide_milestone(
                await cases.case_to_close(work.conn, case_id),
                await stored.recorded_kinds(work.conn, case_id),
                principal,
                case_id=case_id,
                kind=kind,
                at=at,
                court_date=court_date,
                milestone_id=work.new_id(),
                now=work.now,
                skew=self._skew,
                oldest=self._oldest,
            )
            if decided.refusal is not None:
                raise refused(decided.refusal)
            milestone = decided.milestone
            assert milestone is not None  # a decision without a refusal; for mypy
            await stored.insert_milestone(work.conn, milestone)
            work.emit(milestone)
            work.after_commit(
                lambda: log.info("milestone recorded", case_id=str(case_id), kind=kind.value,
                                 coordinator_id=principal.id)
            )  # fmt: skip
            return milestone.milestone_id

    async def of_case(self, case_id: UUID) -> list[MilestoneRead]:
        """A case's milestones, in the order they happened (the caller checked access)."""
        async with self._units.connection() as work:
            rows = await stored.milestones_of(work.conn, case_id)
        return [MilestoneRead(**dict(row)) for row in rows]

    async def clocks_of(self, case_id: UUID) -> list[ClockRead]:
        """A case's legal clocks, earliest due first (the caller checked access)."""
        async with self._units.connection() as work:
            rows = await stored.clocks_of(work.conn, case_id)
        return [ClockRead(**dict(row)) for row in rows]

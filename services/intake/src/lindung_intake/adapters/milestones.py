"""Cases' legal milestones in PostgreSQL; each function runs inside the caller's unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import MilestoneKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import CaseMilestoneRecorded

__all__ = ["insert_milestone", "milestones_of", "recorded_kinds"]


async def recorded_kinds(conn: asyncpg.Connection, case_id: UUID) -> dict[MilestoneKind, datetime]:
    """The kinds of milestone recorded of a case, with when each happened."""
    rows = await conn.fetch("SELECT kind, at FROM case_milestones WHERE case_id = $1", case_id)
    return {MilestoneKind(row["kind"]): row["at"] for row in rows}


async def insert_milestone(conn: asyncpg.Connection, milestone: CaseMilestoneRecorded) -> None:
    """Record a coordinator's milestone of a case."""
    await conn.execute(
        "INSERT INTO case_milestones (milestone_id, case_id, kind, at, court_date,"
        " coordinator_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        milestone.milestone_id,
        milestone.case_id,
        milestone.kind.value,
        milestone.at,
        milestone.court_date,
        milestone.coordinator_id,
        milestone.recorded_at,
    )


async def milestones_of(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    """A case's milestones in the order they happened: kind, at, court date, who, when."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT kind, at, court_date, coordinator_id, recorded_at FROM case_milestones"
        " WHERE case_id = $1 ORDER BY at, kind",
        case_id,
    )
    return rows

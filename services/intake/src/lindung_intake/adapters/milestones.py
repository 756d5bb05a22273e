"""Cases' legal milestones in PostgreSQL; each function runs inside the caller's unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_contracts import MilestoneKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import CaseMilestoneRecorded, LegalClockChanged

__all__ = ["clocks_of", "insert_milestone", "milestones_of", "recorded_kinds", "upsert_clocks"]


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


async def upsert_clocks(conn: asyncpg.Connection, changes: list[LegalClockChanged]) -> None:
    """Keep where each clock stands; a stopped or missed clock never reads running again."""
    await conn.executemany(
        "INSERT INTO legal_clocks (case_id, clock, state, started_by, started_at, stopped_by,"
        " due_at, stopped_at, source, changed_at)"
        " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10"
        " WHERE EXISTS (SELECT 1 FROM cases WHERE case_id = $1)"
        " ON CONFLICT (case_id, clock) DO UPDATE SET state = EXCLUDED.state,"
        " stopped_at = EXCLUDED.stopped_at, changed_at = EXCLUDED.changed_at"
        " WHERE legal_clocks.state = 'running' OR EXCLUDED.state <> 'running'",
        [
            (c.case_id, c.clock, c.state.value, c.started_by.value, c.started_at,
             c.stopped_by.value, c.due_at, c.stopped_at, c.source, c.at)
            for c in changes
        ],
    )  # fmt: skip


async def clocks_of(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    """A case's legal clocks, earliest due first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT clock, state, started_by, started_at, stopped_by, due_at, stopped_at, source"
        " FROM legal_clocks WHERE case_id = $1 ORDER BY due_at, clock",
        case_id,
    )
    return rows

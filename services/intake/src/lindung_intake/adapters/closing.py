"""Coordinators' closings of cases in PostgreSQL; each function runs inside the caller's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lindung_intake.domain import CaseToClose

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from lindung_contracts import CaseClosed, CaseCloseRequested

__all__ = ["case_to_close", "closing_of", "insert_closing", "mark_closed"]


async def case_to_close(conn: asyncpg.Connection, case_id: UUID) -> CaseToClose | None:
    """A case as a coordinator closes it, locked; None if unknown or merged into another."""
    row = await conn.fetchrow(
        "SELECT c.case_id, c.identification->'situation'->>'state' AS state,"
        " EXISTS (SELECT 1 FROM referral_access r WHERE r.case_id = c.case_id)"
        "  OR EXISTS (SELECT 1 FROM alerts a WHERE a.case_id = c.case_id) AS routed,"
        " l.asked_at, l.closed_at"
        " FROM cases c LEFT JOIN case_closures l ON l.case_id = c.case_id"
        " WHERE c.case_id = $1 AND c.linked_to IS NULL FOR UPDATE OF c",
        case_id,
    )
    return CaseToClose(**dict(row)) if row is not None else None


async def insert_closing(conn: asyncpg.Connection, request: CaseCloseRequested) -> None:
    """Record a coordinator's request to close a case."""
    await conn.execute(
        "INSERT INTO case_closures (request_id, case_id, coordinator_id, outcome, reason,"
        " asked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        request.request_id,
        request.case_id,
        request.coordinator_id,
        request.outcome.value,
        request.reason.value if request.reason is not None else None,
        request.at,
    )


async def mark_closed(conn: asyncpg.Connection, closed: list[CaseClosed]) -> None:
    """Remember that the router closed cases (asked here, or kept from a replayed topic)."""
    await conn.executemany(
        "INSERT INTO case_closures (request_id, case_id, coordinator_id, outcome, reason,"
        " asked_at, closed_at, cancelled) SELECT $1, $2, $3, $4, $5, $6, $6, $7"
        " WHERE EXISTS (SELECT 1 FROM cases WHERE case_id = $2)"
        " ON CONFLICT (case_id) DO UPDATE SET closed_at = EXCLUDED.closed_at,"
        " cancelled = EXCLUDED.cancelled WHERE case_closures.closed_at IS NULL",
        [
            (
                c.request_id,
                c.case_id,
                c.coordinator_id,
                c.outcome.value,
                c.reason.value if c.reason is not None else None,
                c.closed_at,
                list(c.cancelled),
            )
            for c in closed
        ],
    )


async def closing_of(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    """A case's closing, asked or done: outcome, reason, who, when."""
    return await conn.fetchrow(
        "SELECT outcome, reason, coordinator_id, asked_at, closed_at FROM case_closures"
        " WHERE case_id = $1",
        case_id,
    )

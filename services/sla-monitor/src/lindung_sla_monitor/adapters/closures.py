"""Closed cases: their package deadline settled, and what the dashboard counts of them.

Every function takes a connection inside the caller's unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    import asyncpg
    from lindung_contracts import CaseClosed

__all__ = ["cases_closed", "insert_closure", "settle_package"]


async def insert_closure(conn: asyncpg.Connection, closed: CaseClosed) -> bool:
    """Remember a case's closing; False when it was known already (a repeat)."""
    status = await conn.execute(
        "INSERT INTO case_closures (case_id, outcome, cancelled, continuing, closed_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
        closed.case_id,
        closed.outcome.value,
        len(closed.cancelled),
        len(closed.continuing),
        closed.closed_at,
    )
    return bool(status == "INSERT 0 1")


async def settle_package(conn: asyncpg.Connection, closed: CaseClosed) -> bool:
    """Settle a closed case's pending package deadline as closed; whether one was pending."""
    status = await conn.execute(
        "UPDATE case_packages SET state = 'closed', settled_at = $2"
        " WHERE case_id = $1 AND state = 'pending'",
        closed.case_id,
        closed.closed_at,
    )
    return bool(status == "UPDATE 1")


async def cases_closed(
    conn: asyncpg.Connection, since: datetime, until: datetime
) -> dict[str, int]:
    """Cases closed in the period, by outcome code (only the outcomes that occurred)."""
    rows = await conn.fetch(
        "SELECT outcome, count(*) AS cases FROM case_closures"
        " WHERE closed_at >= $1 AND closed_at < $2 GROUP BY outcome ORDER BY outcome",
        since,
        until,
    )
    return {row["outcome"]: int(row["cases"]) for row in rows}

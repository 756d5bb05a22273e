"""Closing cases in PostgreSQL. Every function takes a connection inside the caller's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .postgres import referral_state

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import CaseClosed

    from ..domain import ReferralState  # noqa: TID252

__all__ = ["lock_case", "lock_referrals_of", "record_closing", "withdraw"]


async def lock_case(
    conn: asyncpg.Connection, case_id: UUID
) -> tuple[bool, tuple[UUID, datetime] | None]:
    """Lock a case, exclusively: whether it is known, and its closing's request id and time.

    Locked before any of its referrals, as every answer locks it (shared) before its own.
    """
    row = await conn.fetchrow(
        "SELECT l.request_id, l.closed_at FROM cases c"
        " LEFT JOIN case_closures l ON l.case_id = c.case_id"
        " WHERE c.case_id = $1 FOR UPDATE OF c",
        case_id,
    )
    if row is None:
        return False, None
    if row["request_id"] is None:
        return True, None
    return True, (row["request_id"], row["closed_at"])


async def lock_referrals_of(conn: asyncpg.Connection, case_id: UUID) -> list[ReferralState]:
    """Every referral of a case, locked, in id order (one order for every locker)."""
    rows = await conn.fetch(
        "SELECT referral_id, case_id, provider_id, service, status, attempt, urgent, reasons,"
        " paused_at, undelivered_at FROM referrals WHERE case_id = $1"
        " ORDER BY referral_id FOR UPDATE",
        case_id,
    )
    return [referral_state(row) for row in rows]


async def withdraw(
    conn: asyncpg.Connection, referral_ids: list[UUID], *, at: datetime, reason: str
) -> None:
    """Take referrals back from their providers, with one reason code."""
    await conn.execute(
        "UPDATE referrals SET status = 'withdrawn', status_at = $2, status_reason = $3,"
        " updated_at = now() WHERE referral_id = ANY($1::uuid[])",
        referral_ids,
        at,
        reason,
    )


async def record_closing(conn: asyncpg.Connection, closed: CaseClosed) -> None:
    """Keep a case's closing: what became of the child, what was cancelled, what goes on."""
    await conn.execute(
        "INSERT INTO case_closures (case_id, request_id, coordinator_id, outcome, reason,"
        " closed_at, cancelled, continuing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        closed.case_id,
        closed.request_id,
        closed.coordinator_id,
        closed.outcome.value,
        closed.reason.value if closed.reason is not None else None,
        closed.closed_at,
        list(closed.cancelled),
        list(closed.continuing),
    )

"""Coordinators' reassignments in PostgreSQL; each function runs inside the caller's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    import asyncpg
    from lindung_contracts import ReferralReassignmentRequested

__all__ = ["insert_reassignment", "reassigned_at"]


async def reassigned_at(conn: asyncpg.Connection, referral_id: UUID) -> datetime | None:
    """When a reassignment of this referral was asked, if one was."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT at FROM reassignments WHERE referral_id = $1", referral_id
    )


async def insert_reassignment(
    conn: asyncpg.Connection, request: ReferralReassignmentRequested
) -> None:
    """Record a coordinator's request to send a referral to another provider."""
    await conn.execute(
        "INSERT INTO reassignments (request_id, referral_id, coordinator_id, provider_id, reason,"
        " at) VALUES ($1, $2, $3, $4, $5, $6)",
        request.request_id,
        request.referral_id,
        request.coordinator_id,
        request.provider_id,
        request.reason.value,
        request.at,
    )

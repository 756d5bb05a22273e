"""The desk's rows in PostgreSQL: a provider's referrals, and where its sessions are kept.

The sessions' statements are every service's (`lindung_common.signin.SessionTables`);
intake's tables are `desk_sign_ins` and `desk_sessions` (migration 0011).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from lindung_common.signin import SessionTables

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

__all__ = ["TABLES", "provider_referral", "provider_referrals"]

TABLES: Final = SessionTables(sign_ins="desk_sign_ins", sessions="desk_sessions")


async def provider_referrals(
    conn: asyncpg.Connection, provider_id: str, limit: int
) -> list[asyncpg.Record]:
    """The referrals addressed to a provider, newest first: where each stands, no case data."""
    return list(
        await conn.fetch(
            "SELECT referral_id, service, status, requested_at, due_at, withdrawn_at, paused_at"
            " FROM referral_access WHERE provider_id = $1"
            " ORDER BY requested_at DESC, referral_id LIMIT $2",
            provider_id,
            limit,
        )
    )


async def provider_referral(
    conn: asyncpg.Connection, provider_id: str, referral_id: UUID
) -> asyncpg.Record | None:
    """One referral addressed (now or before) to this provider; None for any other."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT referral_id, service, status, requested_at, due_at, withdrawn_at, paused_at"
        " FROM referral_access WHERE referral_id = $1 AND provider_id = $2",
        referral_id,
        provider_id,
    )
    return row

"""Offers to several providers in PostgreSQL. Every function runs inside the caller's unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .postgres import referral_state

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from ..domain import ReferralState  # noqa: TID252

__all__ = ["lock_offer", "offer_of"]


async def offer_of(conn: asyncpg.Connection, referral_id: UUID) -> UUID | None:
    """The offer a referral is one of; None for a referral made to one provider (or unknown).

    Read without a lock: a referral's offer never changes.
    """
    offer_id: UUID | None = await conn.fetchval(
        "SELECT offer_id FROM referrals WHERE referral_id = $1", referral_id
    )
    return offer_id


async def lock_offer(conn: asyncpg.Connection, offer_id: UUID) -> list[ReferralState]:
    """Every referral of an offer, locked, in id order; whether its case is closed on each.

    The case is locked first (shared), then the referrals in id order, as an answer to one
    referral and a case's closing lock them: none of them waits on another in a circle.
    """
    closed = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM case_closures l WHERE l.case_id = c.case_id) FROM cases c"
        " WHERE c.case_id = (SELECT case_id FROM referrals WHERE referral_id = $1)"
        " FOR SHARE OF c",
        offer_id,
    )
    rows = await conn.fetch(
        "SELECT referral_id, case_id, provider_id, service, status, attempt, urgent, reasons,"
        " paused_at, undelivered_at FROM referrals WHERE offer_id = $1"
        " ORDER BY referral_id FOR UPDATE",
        offer_id,
    )
    return [referral_state(row, case_closed=bool(closed)) for row in rows]
